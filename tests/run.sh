#!/usr/bin/env bash
# make test: builds, generator, per-layer reference, gradient check, config
# and command line, training. Ends with "N passed, N failed, N skipped";
# exits non-zero when anything failed. A check that needs a binary this CPU
# cannot run (knl or skx on an AVX2-only CPU) is skipped, with the reason.
# Logs of every check are in build/test-logs/.
set -u
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
unset LIBXSMM_TARGET
# Every make below runs one job per CPU: a single model.c compiles alone,
# but the runtime's files and the several targets of one make go side by
# side. (This replaces what a parent make passed: its job server is not
# open to a plain command.)
export MAKEFLAGS=-j$(nproc)
# With libmunge installed, PMIx authenticates mpirun's ranks through munge;
# where munged is gone but its socket is left (a machine restored from a
# snapshot), each mpirun retried for 2.5 s first and make test took 19-20
# minutes instead of 12-13. The slurm suite starts munged itself, and runs
# as well with this setting (tests/slurm.sh).
if [ -S /run/munge/munge.socket.2 ] && ! munge -n </dev/null >/dev/null 2>&1; then
    export PMIX_MCA_psec=native
fi
. tests/lib.sh
T0=$SECONDS

# The checkpoints of a suite stay until it passes (lib.sh's
# drop_bulky_outputs_since); at its peak a full run holds about 4 GiB. (df asks
# for ".", the checkout, since build/ may not exist yet on a fresh clone.)
free_kib=$(df -Pk . 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -n "$free_kib" ] && [ "$free_kib" -lt $((5 * 1024 * 1024)) ]; then
    echo "WARNING: the file system of build/ has $((free_kib / 1024)) MiB free; a full make test needs about 4 GiB at its peak" \
         "(checks will fail with 'No space left on device' without it)"
fi

# `tests/run.sh isa dist` runs only tests/test_isa.sh and tests/test_dist.sh
# (for developers; the CPU probe always runs, the builds only in full runs).
SUITES=("$@")
if [ ${#SUITES[@]} -eq 0 ]; then
    SUITES=(isa gen kernels config train data outputs dist resilience original toolbox sanitizers winograd slurm bench harness)
    . tests/builds.sh
fi
case " ${SUITES[*]} " in *" isa "*) ;; *) probe_archs_quietly ;; esac
# The sanitizer and Winograd suites' runs, in the background from here
# (lib.sh's background_start). They end with make test, however it ends.
trap background_stop EXIT
case " ${SUITES[*]} " in *" sanitizers "*) . tests/sanitizer_runs.sh; start_sanitizer_runs ;; esac
case " ${SUITES[*]} " in *" winograd "*) . tests/winograd_runs.sh; start_winograd_runs ;; esac
for suite in "${SUITES[@]}"; do
    suite_started=$LOGDIR/.suite-started; touch "$suite_started"; failed_before=$FAIL
    . "tests/test_$suite.sh"
    [ "$FAIL" -eq "$failed_before" ] && drop_bulky_outputs_since "$suite_started" && drop_background_outputs "$suite"
done

echo
echo "make test took $((SECONDS - T0)) s"
[ "$SKIP" -gt 0 ] && echo "skipped: $SKIP_REASONS"
echo "$PASS passed, $FAIL failed, $SKIP skipped${SKIP_REASONS:+ ($SKIP_REASONS)}"
[ "$FAIL" -eq 0 ]
