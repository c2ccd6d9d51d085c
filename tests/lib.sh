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
        return 1   # so that a suite can leave out what depends on it
    fi
}

# drop_bulky_outputs_since MARKER [DIR]: deletes the checkpoints, datasets
# and exports (every file over 1 MiB but the logs) written under DIR
# ($LOGDIR) after MARKER. run.sh calls it after a suite with no failure: a
# full run writes about 12 GiB of them, more than a CI machine may have free,
# and no suite reads another's. A failed suite keeps its files for the
# post-mortem. The outputs of background runs (background_start), which
# other suites' time spans, are their own suite's to delete
# (drop_background_outputs).
# tests/test_harness.sh checks it.
drop_bulky_outputs_since() {
    find "${2:-$LOGDIR}" -type f -newer "$1" -size +1M ! -name '*.log' ! -name '*.out' \
        ! -path "$LOGDIR/background/*" -delete
}

# drop_background_outputs SUITE: the same for SUITE's background runs
# (under $LOGDIR/background/SUITE), whatever their age: run.sh calls it
# after that suite passed
drop_background_outputs() {
    [ ! -d "$LOGDIR/background/$1" ] ||
        find "$LOGDIR/background/$1" -type f -size +1M ! -name '*.log' ! -name '*.out' -delete
}

# Background runs. Most suites keep one of the two cores idle (short runs,
# one after another), so a suite's long chain of training runs that times
# nothing starts at the beginning of make test, under
# $LOGDIR/background/NAME, at the lowest priority: it takes the idle core
# and yields it to every check in the foreground. Its OpenMP threads sleep
# instead of spinning at a barrier, where one of them would hold a core
# while its partner waits to be scheduled. It has a TMPDIR of its own: Open
# MPI puts every singleton's session files in one directory under TMPDIR,
# which the first run to end removes, and a run starting beside it then
# fails in MPI_Init.
declare -A BACKGROUND_PID 2>/dev/null || true
# background_start NAME CMD...: CMD (a command or shell function) in the
# background; its output in $LOGDIR/background-NAME.log. Once per NAME.
background_start() {
    local name=$1; shift
    [ -z "${BACKGROUND_PID[$name]:-}" ] || return 0
    rm -f "$LOGDIR/background-$name.rc"
    (renice -n 19 -p $BASHPID > /dev/null; export OMP_WAIT_POLICY=passive TMPDIR
     TMPDIR=$(background_tmpdir "$name"); rm -rf "$TMPDIR"; mkdir "$TMPDIR" || exit 1
     "$@" > "$LOGDIR/background-$name.log" 2>&1; echo $? > "$LOGDIR/background-$name.rc"; rm -rf "$TMPDIR") &
    BACKGROUND_PID[$name]=$!
}
# (under /tmp: a path under build/ can be too long for Open MPI's sockets)
background_tmpdir() { echo "/tmp/hepcnn-background-$$-$1"; }
# background_wait NAME: until it ends; its exit status
background_wait() {
    local rc
    wait "${BACKGROUND_PID[$1]:-}" 2>/dev/null
    read -r rc 2>/dev/null < "$LOGDIR/background-$1.rc" || { echo "background run $1: never started or killed"; return 1; }
    return "$rc"
}
# background_steps DIR FUNC...: each FUNC in turn (for background_start),
# its output in DIR/FUNC.log and its exit status in DIR/FUNC.rc
background_steps() {
    local dir=$1 step; shift
    for step in "$@"; do "$step" > "$dir/$step.log" 2>&1; echo $? > "$dir/$step.rc"; done
}
# background_result NAME DIR FUNC: once background run NAME has ended,
# FUNC's output there and its exit status (for check)
background_result() {
    local rc
    background_wait "$1" > /dev/null || cat "$LOGDIR/background-$1.log"
    cat "$2/$3.log" 2>/dev/null
    read -r rc 2>/dev/null < "$2/$3.rc" || { echo "$3: did not run in background run $1"; return 1; }
    return "$rc"
}
# background_stop: ends every background run still going (make test
# stopped early), the run it waits on first
background_stop() {
    local name pid
    for name in "${!BACKGROUND_PID[@]}"; do
        pid=${BACKGROUND_PID[$name]}
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" $(pgrep -P "$pid") 2>/dev/null
        rm -rf "$(background_tmpdir "$name")"
    done
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

# wait_for FILE TEXT: until FILE contains TEXT (60 s at most)
wait_for() {
    local i
    for i in $(seq 600); do grep -aq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1"; return 1
}

# no_warnings CMD...: CMD succeeds and prints no compiler warning
no_warnings() {
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    if grep -q 'warning:' <<<"$out"; then echo "compiler warnings above"; return 1; fi
}

# Architectures: which of knl, skx, hsw, native this CPU can run. Each
# binary refuses a CPU that lacks its extensions at start-up (exit 1, with
# the missing ones named); a check that needs such a binary is skipped with
# that reason instead of failing.
SKIP=${SKIP:-0}
SKIP_REASONS=${SKIP_REASONS:-}
declare -A ARCH_REFUSED 2>/dev/null || true

skip() {
    local name=$1 reason=$2
    SKIP=$((SKIP + 1)); printf 'SKIP %-50s (%s)\n' "$name" "$reason"
    case $SKIP_REASONS in *"$reason"*) ;; *) SKIP_REASONS="${SKIP_REASONS:+$SKIP_REASONS; }$reason" ;; esac
}

# probe_arch ARCH: records whether bin/hep64-ARCH starts on this CPU. Fails
# (for check) when the binary neither starts nor refuses cleanly.
# HEPCNN_TEST_PROBE_LAUNCHER (for developers) rehearses another host's
# decisions, e.g. 'qemu-x86_64 -cpu max' an AVX2-only one.
probe_arch() {
    local arch=$1 out rc
    make --no-print-directory -s bin/hep64-$arch || return 1
    out=$(${HEPCNN_TEST_PROBE_LAUNCHER:-} bin/hep64-$arch --help 2>&1); rc=$?
    if [ $rc -eq 0 ]; then echo "bin/hep64-$arch starts on this CPU"; return 0; fi
    printf '%s\n' "$out"
    if [ $rc -eq 1 ] && grep -q "is built for $arch .* does not have: " <<<"$out" &&
        grep -q "build for this CPU with:  make NET=hep64 ARCH=" <<<"$out"; then
        ARCH_REFUSED[$arch]="bin/*-$arch refuse this CPU: it lacks $(sed -n 's/.*does not have: //p' <<<"$out" | head -1)"
        echo "refused as it should be (exit 1)"
        return 0
    fi
    echo "expected exit 0, or exit 1 with the refusal message; got exit $rc"
    return 1
}

# This host's tuning section key, as the generator reads it (gen/tuning.lua:
# /proc/cpuinfo, or HEPCNN_TUNING_HOST).
tuning_host_key() {
    lua5.4 -e 'package.path = "gen/?.lua;" .. package.path; print(require("tuning").host_key())'
}
runnable() { [ -z "${ARCH_REFUSED[$1]:-}" ]; }

# arch_check NAME ARCH CMD...: check, or skip when this CPU cannot run ARCH.
arch_check() {
    local name=$1 arch=$2; shift 2
    if runnable "$arch"; then check "$name" "$@"; else skip "$name" "${ARCH_REFUSED[$arch]}"; fi
}

# prebuild TARGET...: makes the targets side by side (make's jobs, see
# run.sh) before the checks that use them, which then find them made. Its
# output goes to a log: a target that fails here fails its check, whose own
# make shows why.
prebuild() {
    [ $# -gt 0 ] || return 0
    make --no-print-directory -s -k "$@" > "$LOGDIR/prebuild.log" 2>&1 || true
}

# prebuild_variants NAME:NET:ARCH:TUNING[:HOST]...: make variant of each
# into build/variants/NAME (HOST: the tuning file's section to take, as
# HEPCNN_TUNING_HOST), as many side by side as there are CPUs (each
# compiles one model.c on one core), before the checks that use them; a
# check then takes its build by variant_built NAME instead of making it
# again. What the variants of an arch share (make variant-deps) is made
# first, by one make: two makes side by side must not write one object.
prebuild_variants() {
    local spec name net arch tuning host pids=() archs=()
    for spec in "$@"; do IFS=: read -r name net arch tuning host <<<"$spec"; archs+=("$arch"); done
    for arch in $(printf '%s\n' "${archs[@]}" | sort -u); do
        make --no-print-directory -s variant-deps ARCH="$arch" > "$LOGDIR/variant-deps-$arch.out" 2>&1
    done
    for spec in "$@"; do
        IFS=: read -r name net arch tuning host <<<"$spec"
        rm -f "$LOGDIR/variant-$name.rc"
        while [ "$(still_running "${pids[@]}")" -ge "$(nproc)" ]; do wait -n "${pids[@]}"; done
        (if [ -n "$host" ]; then export HEPCNN_TUNING_HOST=$host; fi
         make --no-print-directory -s variant NET="$net" ARCH="$arch" TUNING="$tuning" VARIANT_DIR="build/variants/$name" \
             > "$LOGDIR/variant-$name.out" 2>&1; echo $? > "$LOGDIR/variant-$name.rc") &
        pids+=($!)
    done
    wait "${pids[@]}"
}
# still_running PID...: how many of these children have not been waited
# for (other background jobs of the shell do not count)
still_running() {
    local pid n=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && n=$((n + 1)); done
    echo $n
}
# variant_built NAME: prebuild_variants made build/variants/NAME (its make's
# output shown where it failed)
variant_built() {
    local rc
    read -r rc 2>/dev/null < "$LOGDIR/variant-$1.rc" || { echo "build/variants/$1: not made (prebuild_variants)"; return 1; }
    [ "$rc" -eq 0 ] || { cat "$LOGDIR/variant-$1.out"; return 1; }
}

# The probe without counting it, for partial runs that leave out test_isa.sh.
probe_archs_quietly() {
    local arch
    for arch in native skx hsw knl; do probe_arch $arch > /dev/null; done
}
