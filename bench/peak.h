/* The machine's fp32 FLOP/s ceiling, measured on every thread at once: the
 * larger of an FMA loop at the build's vector width (16 floats with
 * AVX-512, 8 with AVX2) and the best of a few libxsmm batch-reduce GEMM
 * shapes (operands in L1/L2). On AVX2 the m=64 shapes reach only about 75%
 * of what m=32 ones do (PERF.md), so one shape alone is not the ceiling. */
#ifndef HEP_BENCH_PEAK_H
#define HEP_BENCH_PEAK_H

typedef struct {
    double fma;               /* GFLOP/s of the FMA loop */
    int vector_floats;        /* its vector width */
    double gemm;              /* the best libxsmm shape's GFLOP/s */
    int m, n, k;              /* that shape */
    double peak;              /* the larger of the two: every "% of peak" is against it */
} hep_peak;

/* About `seconds` of work in all; target NULL keeps libxsmm's choice (or
 * LIBXSMM_TARGET). */
hep_peak hep_measure_peak(int threads, double seconds, const char *target);

#endif
