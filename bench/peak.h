/* The machine's fp32 FLOP/s ceiling, measured the way PERF.md does: a
 * libxsmm batch-reduce GEMM (m=64, n=28, k=64, 18 blocks, operands in L1/L2)
 * on every thread at once. */
#ifndef HEP_BENCH_PEAK_H
#define HEP_BENCH_PEAK_H
/* Returns GFLOP/s over about `seconds` of work on `threads` threads; target
 * NULL keeps libxsmm's choice (or LIBXSMM_TARGET). */
double hep_measure_peak(int threads, double seconds, const char *target);
#endif
