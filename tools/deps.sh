#!/usr/bin/env bash
# The Debian packages hepcnn needs, in one list: `make deps` installs them,
# and `make demo` / `make test` check them first (installing what is missing
# when run as root, otherwise printing the one command to run).
#
#   tools/deps.sh install    apt-get install every package (root)
#   tools/deps.sh check      exit 0 when all are installed; as root install
#                            the missing ones; otherwise say what to run
#   tools/deps.sh list       print the list
set -euo pipefail

PACKAGES=(
    build-essential pkg-config           # cc, make
    lua5.4 lua-penlight lua-check        # the generator, its templates, its linter
    libxsmm-dev                          # JIT small-GEMM kernels
    libopenmpi-dev openmpi-bin           # MPI
    libhdf5-dev hdf5-tools               # data files, checkpoints; h5ls in tests
    zlib1g-dev                           # gzip data files, inflated by hepcnn itself (runtime/h5gzip.c)
    libcjson-dev librandom123-dev        # configs; Philox
    python3 python3-numpy python3-h5py   # reference checks in the tests
    python3-torch                        # the tests load checkpoints into PyTorch
    python3-venv                         # make bench-peers: TensorFlow from PyPI in a virtual environment
    libxml2-utils                        # xmllint: the tests check the SVG plots
    slurm-wlm munge                      # the run-script tests start a real SLURM
    qemu-user                            # the tests run binaries on emulated CPUs (ISA refusal)
    libdnnl-dev                          # oneDNN: make bench compares against it
    clang libclang-rt-14-dev             # make fuzz: the config parser under libFuzzer (make test runs it briefly)
)

missing() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

install() {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "$@"
}

case ${1:-} in
    list) echo "${PACKAGES[@]}" ;;
    install) install "${PACKAGES[@]}" ;;
    check)
        command -v dpkg-query >/dev/null || { echo "hepcnn: not a Debian system: install the equivalents of: ${PACKAGES[*]}" >&2; exit 1; }
        mapfile -t need < <(missing)
        [ ${#need[@]} -eq 0 ] && exit 0
        if [ "$(id -u)" -eq 0 ]; then
            echo "hepcnn: installing the Debian packages this needs: ${need[*]}"
            install "${need[@]}"
        else
            echo "hepcnn: these Debian packages are missing: ${need[*]}" >&2
            echo "hepcnn: install them with:  sudo make deps" >&2
            exit 1
        fi ;;
    *) echo "usage: tools/deps.sh install|check|list" >&2; exit 2 ;;
esac
