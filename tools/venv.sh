#!/usr/bin/env bash
# The project's Python virtual environment, build/venv, with the packages of
# tools/requirements.txt from PyPI. Made by `make deps` and on first use.
#
#   tools/venv.sh ensure    make it when missing or older than requirements.txt;
#                           print its python's path
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv
stamp=$venv/.requirements
case ${1:-} in
    ensure)
        if ! cmp -s tools/requirements.txt "$stamp" 2>/dev/null; then
            echo "hepcnn: making the Python environment $venv (tools/requirements.txt, from PyPI)" >&2
            rm -rf "$venv"
            /usr/bin/python3 -m venv "$venv" >&2 &&
                "$venv/bin/pip" install -q --disable-pip-version-check -r tools/requirements.txt >&2 || {
                    rm -rf "$venv"
                    echo "hepcnn: could not install tools/requirements.txt from PyPI into $venv" >&2
                    exit 1
                }
            cp tools/requirements.txt "$stamp"
        fi
        echo "$PWD/$venv/bin/python" ;;
    *) echo "usage: tools/venv.sh ensure" >&2; exit 2 ;;
esac
