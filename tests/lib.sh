# Helpers for tests/*.sh: run a named check, count it, keep its log.
# A check passes when its command exits 0; expect_fail checks that a command
# fails and that its stderr/stdout contains a given text.
PASS=${PASS:-0}
FAIL=${FAIL:-0}
LOGDIR=${LOGDIR:-build/test-logs}
mkdir -p "$LOGDIR"

check() {
    local name=$1; shift
    local log="$LOGDIR/${name//[\/: ]/_}.log"
    local t0=$SECONDS
    if "$@" >"$log" 2>&1; then
        PASS=$((PASS + 1)); printf 'PASS %-50s (%ds)\n' "$name" $((SECONDS - t0))
    else
        FAIL=$((FAIL + 1)); printf 'FAIL %-50s (%ds)  log: %s\n' "$name" $((SECONDS - t0)) "$log"
        tail -n 15 "$log" | sed 's/^/     | /'
    fi
}

# expect_fail TEXT CMD...: CMD must exit non-zero and print TEXT (fixed string)
expect_fail() {
    local text=$1; shift
    local out rc
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    if [ "$rc" -eq 0 ]; then echo "expected a non-zero exit, got 0"; return 1; fi
    if ! grep -qF -- "$text" <<<"$out"; then echo "expected the message to contain: $text"; return 1; fi
    return 0
}

# no_warnings CMD...: CMD succeeds and prints no compiler warning
no_warnings() {
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    if grep -q 'warning:' <<<"$out"; then echo "compiler warnings above"; return 1; fi
}
