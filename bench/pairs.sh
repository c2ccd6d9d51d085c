# make bench's A/B helpers (sourced by bench/run.sh and tests/test_bench.sh).

# rate: images/s (batch 16) from a training run's report lines, the first
# (warm-up) left out.
rate() { awk '/TRAINING REPORT/ { n++; match($0, /\([0-9.]+ sec\/batch\)/); if (n > 1) { s += substr($0, RSTART + 1, RLENGTH - 12); k++ } }
              END { if (k) printf "%.3f", 16 / (s / k); else print 0 }'; }

# ab_pairs A B LABEL_A LABEL_B: the functions A and B run alternately,
# $pairs times each (bench/run.sh: BENCH_PAIRS, default 3; one run each once
# differed by 8% on the 2-core development machine, three alternating pairs
# right after by -1.4% to +3.8%); prints each pair's images/s and ratio
# A / B. Sets ab_rates_a and ab_rates_b (JSON arrays), ab_ratio (the median
# ratio in %, the lower middle one for an even count) and ab_last_a (A's
# last output).
ab_pairs() {
    local i out ra rb ratios=()
    ab_rates_a="" ab_rates_b=""
    for ((i = 1; i <= pairs; i++)); do
        ab_last_a=$("$1"); ra=$(rate <<<"$ab_last_a")
        out=$("$2"); rb=$(rate <<<"$out")
        ab_rates_a+="${ab_rates_a:+, }$ra" ab_rates_b+="${ab_rates_b:+, }$rb"
        ratios+=("$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')")
        printf '  pair %d: %-18s %8s img/s, %-18s %8s img/s, %s%%\n' "$i" "$3" "$ra" "$4" "$rb" "${ratios[-1]}"
    done
    ab_rates_a="[$ab_rates_a]" ab_rates_b="[$ab_rates_b]"
    ab_ratio=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
}
