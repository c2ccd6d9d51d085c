#!/bin/bash
# hepcnn on a workstation with mpirun:
#
#   run_scripts/run_local.sh [-r RANKS] [-p NUM_PS] [-c CONFIG] [-n NET] [-a ARCH] [-- OPTIONS...]
#
# RANKS defaults to 1; the cores are shared evenly (OMP_NUM_THREADS =
# cores / RANKS unless set). Defaults: -c configs/demo_64.json -n hep64
# -a native. Works from any folder.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ranks=1 num_ps=0 config=$root/configs/demo_64.json net=hep64 arch=native extra=()
while [ $# -gt 0 ]; do
    case $1 in
        -r) ranks=$2; shift 2 ;;
        -p) num_ps=$2; shift 2 ;;
        -c) config=$2; shift 2 ;;
        -n) net=$2; shift 2 ;;
        -a) arch=$2; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $(basename "$0") [-r RANKS] [-p NUM_PS] [-c CONFIG] [-n NET] [-a ARCH] [-- OPTIONS]" >&2; exit 2 ;;
    esac
done
bin=$root/bin/$net-$arch
[ -x "$bin" ] || { echo "$(basename "$0"): $bin not built: run make NET=$net ARCH=$arch in $root" >&2; exit 2; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( $(nproc) / ranks > 0 ? $(nproc) / ranks : 1 ))}
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--allow-run-as-root)
# --bind-to none: OpenMPI binds each of one or two ranks to a single core
# by default, so one rank's OMP_NUM_THREADS=2 took turns on one core (hep64
# 0.218 s/batch against 0.110 unbound on the 2-core development host; 2
# ranks x 1 thread 0.228 bound, 0.206 unbound).
exec mpirun "${as_root[@]}" --oversubscribe --bind-to none -np "$ranks" -x OMP_NUM_THREADS \
    "$bin" --config="$config" --num_tasks="$ranks" --num_ps="$num_ps" "${extra[@]}"
