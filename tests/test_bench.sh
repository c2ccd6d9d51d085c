# make bench's timing driver (sourced by tests/run.sh): it builds and runs
# a round against oneDNN (or without it, when libdnnl-dev is missing), and
# the memory it prints is hepcnn's own: the memory-only mode's, not the
# process's peak after oneDNN's buffers (hep64 batch 16 printed 258 MiB
# that way against 135).
echo "== make bench's driver"
rss_of() { sed -n 's/.*peak resident memory *\([0-9.]*\) MiB.*/\1/p' | head -1; }
bench_memory_is_hepcnns() {
    make --no-print-directory -s build/hep64-native/bench_model || return 1
    local out alone timed
    out=$(build/hep64-native/bench_model 16 1 "" 1 2>&1) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out" | grep -E 'training step|peak resident|oneDNN.s best'
    grep -q "hepcnn's, before oneDNN ran" <<<"$out" || { echo "no hepcnn memory line"; return 1; }
    timed=$(rss_of <<<"$out")
    alone=$(build/hep64-native/bench_model 16 0 | rss_of)
    echo "peak resident memory: $timed MiB in the timed run, $alone MiB in the memory-only mode"
    awk -v t="$timed" -v a="$alone" 'BEGIN { exit !(a > 0 && t >= 0.9 * a && t <= 1.15 * a) }'
}
check "bench: bench_model runs a round and prints hepcnn's own peak memory (within 15% of the memory-only mode)" bench_memory_is_hepcnns

# The first conv's training-forward/inference line is the table's conv1
# fwd ms over its infer ms (the table rounds to 0.01 ms: within 0.03).
first_conv_ratio_line() {
    local out line
    out=$(build/hep64-native/bench_model 16 2 "" 1 2>&1) || { printf '%s\n' "$out"; return 1; }
    line=$(grep -E '^  conv1 ' <<<"$out"); printf '%s\n' "$line"
    grep 'first conv fwd' <<<"$out" || { echo "no first conv line"; return 1; }
    awk -v r="$(sed -n 's/.*first conv fwd *\([0-9.]*\)x.*/\1/p' <<<"$out")" \
        '{ want = $2 / $8; exit !(r > 0 && r - want < 0.03 && want - r < 0.03) }' <<<"$line"
}
check "bench: the first conv's training forward is printed as a multiple of its inference time" first_conv_ratio_line

# bench/pool_epilogue.c: a figure for each of the three passes, each a
# positive number of ns (the build's own ISA's code).
pool_epilogue_figures() {
    make --no-print-directory -s build/runtime-native/bench_pool_epilogue || return 1
    local out
    out=$(build/runtime-native/bench_pool_epilogue) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    for pass in "training forward" "inference" "backward"; do
        grep -E "^pooled epilogue, $pass .* [0-9]+\.[0-9]+ ns per pooled pixel of 32 channels$" <<<"$out" \
            | awk '{ for (i = 1; i <= NF; i++) if ($(i + 1) == "ns") exit !($i > 0) } END { if (NR != 1) exit 1 }' \
            || { echo "no positive figure for the $pass"; return 1; }
    done
}
check "bench: bench_pool_epilogue times the pooled epilogue's training forward, inference and backward" pool_epilogue_figures

# The A/B pairs of make bench's files/dummy and ranks/threads lines
# (bench/pairs.sh), on stand-in runs whose report lines give known rates:
# the first report (warm-up) left out, each pair's ratio, the median.
fake_report() {   # fake_report SEC_PER_BATCH: a run's report lines
    echo "TRAINING REPORT step 1 (9.000 sec/batch)"
    echo "TRAINING REPORT step 2 ($1 sec/batch)"
    echo "TRAINING REPORT step 3 ($1 sec/batch)"
}
bench_pairs_median() (
    . bench/pairs.sh
    local calls=$LOGDIR/bench-pairs-calls
    : > "$calls"
    # A: 32, 64, 40 img/s in turn (batch 16); B: 40 each time
    fake_a() { echo a >> "$calls"; fake_report "$(sed -n "$(grep -c a "$calls")p" <<<$'0.5\n0.25\n0.4')"; }
    fake_b() { echo b >> "$calls"; fake_report 0.4; }
    pairs=3
    ab_pairs fake_a fake_b "A" "B"
    echo "rates A $ab_rates_a, B $ab_rates_b, median $ab_ratio%, calls $(tr -d '\n' < "$calls")"
    [ "$ab_rates_a" = "[32.000, 64.000, 40.000]" ] && [ "$ab_rates_b" = "[40.000, 40.000, 40.000]" ] &&
        [ "$ab_ratio" = "100.0" ] && [ "$(tr -d '\n' < "$calls")" = "ababab" ]
)
check "bench: files/dummy and ranks/threads as alternating pairs, the median ratio (bench/pairs.sh)" bench_pairs_median

# make bench NET=..: that network alone, at make tune's batch for its input
# (tiny_flatten's 12x8: 64), its figures in a file of its own (the whole
# suite's results file untouched); a network that does not exist is named.
bench_one_network() {
    local host results out
    host=$(hostname -s); results=build/bench/results-$host.json
    [ -e "$results" ] && cp "$results" "$LOGDIR/bench-results-before"
    out=$(make --no-print-directory bench NET=tiny_flatten BENCH_STEPS=1 BENCH_ROUNDS=1 2>&1)
    printf '%s\n' "$out" | grep -E '^tiny_flatten|^hep|figures as JSON'
    [ "$(grep -c '^[a-z0-9_]* (native), batch' <<<"$out")" = 1 ] &&
        grep -q '^tiny_flatten (native), batch 64, ' <<<"$out" &&
        grep -q '^  c1 ' <<<"$out" && ! grep -q '^== ' <<<"$out" &&
        [ "$(wc -l < "build/bench/results-$host-tiny_flatten.json")" = 1 ] &&
        grep -q '"network": "tiny_flatten"' "build/bench/results-$host-tiny_flatten.json" || return 1
    if [ -e "$LOGDIR/bench-results-before" ]; then cmp "$results" "$LOGDIR/bench-results-before" || return 1; fi
    out=$(make --no-print-directory bench NET=no_such_net 2>&1) && return 1
    printf '%s\n' "$out" | head -2
    grep -q 'no network file networks/no_such_net.lua' <<<"$out" && ! grep -q '^hepcnn bench on' <<<"$out" || return 1
    expect_fail "make bench: arch 'avx512' (BENCH_ARCHS or ARCH) is not one of: knl hsw skx native" \
        make --no-print-directory bench NET=tiny_flatten BENCH_ARCHS="native avx512"
}
check "bench: make bench NET=.. times that network alone, its figures in a file of their own; a bad network or arch named first" \
    bench_one_network
