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
