#!/usr/bin/env bash
# make test: builds, generator, per-layer reference, gradient check, config
# and command line, training. Ends with "N passed, N failed"; exits non-zero
# when anything failed. Logs of every check are in build/test-logs/.
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
unset LIBXSMM_TARGET
. tests/lib.sh
T0=$SECONDS

echo "== builds (every network x arch, no compiler warnings)"
for arch in native skx hsw knl; do
    for net in hep64 hep224 hep64_4class; do
        rm -f "build/$net-$arch/model.o" build/runtime-"$arch"/*.o
        check "build $net-$arch" no_warnings make --no-print-directory NET=$net ARCH=$arch
    done
done

. tests/test_gen.sh
. tests/test_kernels.sh
. tests/test_config.sh
. tests/test_train.sh
. tests/test_data.sh
. tests/test_outputs.sh
. tests/test_dist.sh
. tests/test_slurm.sh

echo
echo "make test took $((SECONDS - T0)) s"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
