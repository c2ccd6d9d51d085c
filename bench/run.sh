#!/usr/bin/env bash
# make bench: training and inference throughput of hep224 and hep64 against
# the GEMM peak measured in the same run, per layer and pass. Writes the
# figures as JSON lines to build/bench/results-<host>.json.
# Environment: BENCH_ARCHS (default "native"), BENCH_STEPS (default 6),
# OMP_NUM_THREADS (default: all cores).
set -eu
cd "$(dirname "$0")/.."
archs=${BENCH_ARCHS:-native}
steps=${BENCH_STEPS:-6}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
# Threads are left unbound unless the caller binds them: binding (OMP_PROC_BIND)
# made oneDNN 20-40% slower on the 2-core development machine, hepcnn no faster.
unset LIBXSMM_TARGET
mkdir -p build/bench
out=build/bench/results-$(hostname -s).json
: > "$out"
load() { awk '{ print $1 }' /proc/loadavg; }
echo "hepcnn bench on $(hostname -s), $(nproc) cores, $OMP_NUM_THREADS threads; load average before: $(load)"
echo "(a load average well above 0 means another process shares the cores: figures will be low)"
for arch in $archs; do
    for spec in "hep224 16" "hep64 64"; do
        set -- $spec
        make --no-print-directory -s "build/$1-$arch/bench_model"
        echo
        "build/$1-$arch/bench_model" "$2" "$steps" "$out"
    done
done
echo
echo "load average after: $(load); JSON: $out"
