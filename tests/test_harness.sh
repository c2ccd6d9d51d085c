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
    mkdir -p "$LOGDIR/background/harness"
    head -c 2M /dev/zero > "$LOGDIR/background/harness/model-8.h5"
    drop_bulky_outputs_since "$d/.started" "$d"
    drop_bulky_outputs_since "$d/.started"
    find "$d" "$LOGDIR/background/harness" -type f | sort
    [ ! -e "$d/run/models/model-8.h5" ] && [ -f "$d/earlier.h5" ] && [ -f "$d/run/big.log" ] &&
        [ -f "$d/run/big.out" ] && [ -f "$d/run/small.json" ] && [ -f "$LOGDIR/background/harness/model-8.h5" ] || return 1
    # and its own suite's drop takes them, whatever their age, logs kept
    touch -d '-1 hour' "$LOGDIR/background/harness/model-8.h5"; head -c 2M /dev/zero > "$LOGDIR/background/harness/run.log"
    drop_background_outputs harness
    [ ! -e "$LOGDIR/background/harness/model-8.h5" ] && [ -f "$LOGDIR/background/harness/run.log" ] &&
        rm -rf "$d" "$LOGDIR/background/harness"
}
check "harness: a passing suite's checkpoints go; logs, small files, earlier files and background runs' stay" \
    drops_only_new_bulky_outputs

# background runs (lib.sh): a run's exit status comes back to the suite that
# waits for it, at the lowest priority; one stopped early goes no further
background_status_and_stop() {
    local d=$LOGDIR/harness-bg
    rm -rf "$d"; mkdir -p "$d"
    (
        ends_3() {
            ps -o ni= -p "$BASHPID" > "$d/nice"; echo "$OMP_WAIT_POLICY" > "$d/policy"; echo "$TMPDIR" > "$d/tmpdir"
            [ -d "$TMPDIR" ] && return 3
        }
        steps() { touch "$d/step1"; sleep 30; touch "$d/step2"; }
        background_start ends_3 ends_3
        background_wait ends_3; rc=$?
        echo "status $rc, nice $(cat "$d/nice"), OpenMP waits $(cat "$d/policy"), TMPDIR $(cat "$d/tmpdir")"
        [ $rc -eq 3 ] && [ "$(cat "$d/nice")" -eq 19 ] && [ "$(cat "$d/policy")" = passive ] &&
            [ "$(cat "$d/tmpdir")" != "${TMPDIR:-}" ] && [ ! -e "$(cat "$d/tmpdir")" ] || exit 1
        background_start steps steps
        for _ in $(seq 50); do [ -e "$d/step1" ] && break; sleep 0.1; done
        background_stop
        background_wait steps; rc=$?
        sleep 0.2
        echo "stopped: status $rc, step 2 $([ -e "$d/step2" ] && echo ran || echo "did not run")"
        [ $rc -ne 0 ] && [ ! -e "$d/step2" ] && [ ! -e "$(background_tmpdir steps)" ]
    )
    local rc=$?
    rm -rf "$d" "$LOGDIR"/background-ends_3.* "$LOGDIR"/background-steps.*
    return $rc
}
check "harness: a background run's status comes back; it runs at nice 19 with a TMPDIR of its own; stopped, it goes no further" \
    background_status_and_stop

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
