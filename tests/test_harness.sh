# make test's own housekeeping (sourced by tests/run.sh): what a passing
# suite deletes (lib.sh's drop_bulky_outputs_since) must be its own bulky
# outputs only, never a log or an earlier suite's files (a failed suite's
# evidence).
echo "== make test's housekeeping"
drops_only_new_bulky_outputs() {
    local d=$LOGDIR/harness
    rm -rf "$d"; mkdir -p "$d/run/models"
    head -c 2M /dev/zero > "$d/earlier.h5"; touch -d '-1 hour' "$d/earlier.h5"
    touch -d '-1 minute' "$d/.started"
    head -c 2M /dev/zero > "$d/run/models/model-8.h5"
    head -c 2M /dev/zero > "$d/run/big.log"
    head -c 2M /dev/zero > "$d/run/big.out"
    head -c 1000 /dev/zero > "$d/run/small.json"
    drop_bulky_outputs_since "$d/.started" "$d"
    find "$d" -type f | sort
    [ ! -e "$d/run/models/model-8.h5" ] && [ -f "$d/earlier.h5" ] && [ -f "$d/run/big.log" ] &&
        [ -f "$d/run/big.out" ] && [ -f "$d/run/small.json" ] && rm -rf "$d"
}
check "harness: a passing suite's checkpoints go; logs, small files and earlier files stay" drops_only_new_bulky_outputs

# check's own status: a suite leaves out what depends on a failed check
# (test_slurm.sh: the jobs, when the local cluster did not come up), so a
# failing check must return non-zero, a passing one zero, each counted once.
check_reports_status() {
    (
        PASS=0 FAIL=0 LOGDIR=$LOGDIR/harness-check
        mkdir -p "$LOGDIR"
        check "harness probe: fails" false > /dev/null && exit 1
        check "harness probe: passes" true > /dev/null || exit 1
        [ "$PASS" -eq 1 ] && [ "$FAIL" -eq 1 ]
    )
    local rc=$?
    rm -rf "$LOGDIR/harness-check"
    return $rc
}
check "harness: check returns non-zero for a failing check and zero for a passing one, counting each" \
    check_reports_status
