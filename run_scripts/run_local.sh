#!/bin/bash
# hepcnn on a workstation with mpirun:
#
#   run_scripts/run_local.sh [-r RANKS] [-p NUM_PS] [-c CONFIG] [-n NET] [-a ARCH] [-b] [-- OPTIONS...]
#
# RANKS defaults to 1; the cores are shared evenly (OMP_NUM_THREADS =
# cores / RANKS unless set). Defaults: -c configs/demo_64.json -n hep64
# -a native. -b pins: each rank to OMP_NUM_THREADS cores of its own, its
# threads one to a core (OMP_PROC_BIND=close, OMP_PLACES=cores unless
# set); without it nothing is pinned. Works from any folder.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/run_scripts/common.sh"
ranks=1 num_ps=0 config=$root/configs/demo_64.json net=hep64 arch=native bind=0 extra=()
while [ $# -gt 0 ]; do
    case $1 in -r | -p | -c | -n | -a) hepcnn_needs_value "$1" $# ;; esac
    case $1 in
        -r) ranks=$2; shift 2 ;;
        -p) num_ps=$2; shift 2 ;;
        -c) config=$2; shift 2 ;;
        -n) net=$2; shift 2 ;;
        -a) arch=$2; shift 2 ;;
        -b) bind=1; shift ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $(basename "$0") [-r RANKS] [-p NUM_PS] [-c CONFIG] [-n NET] [-a ARCH] [-b] [-- OPTIONS]" >&2; exit 2 ;;
    esac
done
hepcnn_check_count -r "$ranks" 1
hepcnn_check_count -p "$num_ps" 0
[ -f "$config" ] || { echo "$(basename "$0"): config $config not found" >&2; exit 2; }
bin=$root/bin/$net-$arch
[ -x "$bin" ] || { echo "$(basename "$0"): $bin not built: run make NET=$net ARCH=$arch in $root" >&2; exit 2; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( $(nproc) / ranks > 0 ? $(nproc) / ranks : 1 ))}
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--allow-run-as-root)
# --bind-to none: OpenMPI binds each of one or two ranks to a single core
# by default, so one rank's OMP_NUM_THREADS=2 took turns on one core (hep64
# 0.218 s/batch against 0.110 unbound on the 2-core development host; 2
# ranks x 1 thread 0.228 bound, 0.206 unbound). -b binds each rank to cores
# of its own instead (slot:PE), with its threads pinned inside them: on a
# 16-core Intel VM pinning took hep224's step from 127.8 to 93.5 ms (README,
# "Benchmark").
placement=(--oversubscribe --bind-to none) pinning=()
if [ "$bind" = 1 ]; then
    cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)   # nproc itself heeds OMP_NUM_THREADS
    if [ $(( ranks * OMP_NUM_THREADS )) -gt "$cpus" ]; then
        echo "$(basename "$0"): -b pins $ranks rank(s) x $OMP_NUM_THREADS thread(s) (OMP_NUM_THREADS) one to a core," \
             "but this machine has $cpus CPU(s): fewer ranks or threads, or leave out -b" >&2
        exit 2
    fi
    export OMP_PROC_BIND=${OMP_PROC_BIND:-close} OMP_PLACES=${OMP_PLACES:-cores}
    placement=(--map-by "slot:PE=$OMP_NUM_THREADS" --bind-to core) pinning=(-x OMP_PROC_BIND -x OMP_PLACES)
fi
exec mpirun "${as_root[@]}" "${placement[@]}" -np "$ranks" -x OMP_NUM_THREADS "${pinning[@]}" \
    "$bin" --config="$config" --num_tasks="$ranks" --num_ps="$num_ps" "${extra[@]}"
