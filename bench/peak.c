/* The machine's peak (see peak.h). */
#include "peak.h"

#include <immintrin.h>
#include <libxsmm.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

/* Independent FMA chains: enough to cover the FMA latency on two pipes. */
enum { CHAINS = 12 };

#if defined(__AVX512F__)
enum { VW = 16 };
typedef __m512 vec;
static vec vset(float x) { return _mm512_set1_ps(x); }
static vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static float vsum(vec a) { return _mm512_reduce_add_ps(a); }
#elif defined(__FMA__)
enum { VW = 8 };
typedef __m256 vec;
static vec vset(float x) { return _mm256_set1_ps(x); }
static vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static float vsum(vec a)
{
    float t[8];
    _mm256_storeu_ps(t, a);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else
#error "bench/peak.c needs FMA (every arch hepcnn builds for has it)"
#endif

static double fma_gflops(int threads, long reps)
{
    float sink = 0;
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
        vec acc[CHAINS], a = vset(0.9999f), b = vset(1e-4f);
        for (int c = 0; c < CHAINS; c++) acc[c] = vset((float)c);
        for (long r = 0; r < reps; r++)
            for (int c = 0; c < CHAINS; c++) acc[c] = vfma(acc[c], a, b);
        for (int c = 0; c < CHAINS; c++) sink += vsum(acc[c]);
    }
    double dt = omp_get_wtime() - t0;
    if (sink == -1.0f) printf("impossible\n");   /* keeps the loop */
    return 2.0 * VW * CHAINS * (double)reps * threads / dt / 1e9;
}

static double gemm_gflops(int threads, long reps, int M, int N, int K, int blocks)
{
    const float one = 1.0f, zero = 0.0f;
    const int flags = LIBXSMM_GEMM_FLAG_NONE;
    const libxsmm_blasint lda = M, ldb = K, ldc = M;
    libxsmm_smmfunction_reducebatch_strd kernel = libxsmm_smmdispatch_reducebatch_strd(
        M, N, K, M * K * 4, K * N * 4, &lda, &ldb, &ldc, &one, &zero, &flags, NULL);
    if (!kernel) { fprintf(stderr, "peak: libxsmm dispatch of m=%d n=%d k=%d failed\n", M, N, K); exit(1); }
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
    {
        float *a = aligned_alloc(64, sizeof(float) * M * K * blocks);
        float *b = aligned_alloc(64, sizeof(float) * K * N * blocks);
        float *c = aligned_alloc(64, sizeof(float) * M * N);
        for (int i = 0; i < M * K * blocks; i++) a[i] = 1e-3f * (i % 7);
        for (int i = 0; i < K * N * blocks; i++) b[i] = 1e-3f * (i % 5);
        const unsigned long long count = (unsigned long long)blocks;
#pragma omp barrier
        for (long r = 0; r < reps; r++) kernel(a, b, c, &count);
        if (c[0] < -1) printf("impossible\n");
        free(a); free(b); free(c);
    }
    double dt = omp_get_wtime() - t0;
    return 2.0 * M * N * K * blocks * (double)reps * threads / dt / 1e9;
}

/* A short calibration run, then one about `seconds` long. */
static long reps_for(double gflops_per_rep_per_thread, double rate, int threads, double seconds)
{
    return (long)(seconds * rate / (gflops_per_rep_per_thread * threads)) + 1;
}

hep_peak hep_measure_peak(int threads, double seconds, const char *target)
{
    static const int shapes[][4] = { { 64, 28, 64, 18 }, { 32, 28, 32, 36 }, { 32, 14, 32, 36 }, { 64, 14, 64, 18 } };
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    const double share = seconds / (nshapes + 1);
    libxsmm_init();
    if (target) libxsmm_set_target_arch(target);
    hep_peak p = { .vector_floats = VW };
    double rate = fma_gflops(threads, 100000);
    double per_rep = 2.0 * VW * CHAINS / 1e9;
    p.fma = fma_gflops(threads, reps_for(per_rep, rate, threads, share));
    for (int s = 0; s < nshapes; s++) {
        const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], B = shapes[s][3];
        per_rep = 2.0 * M * N * K * B / 1e9;
        rate = gemm_gflops(threads, 200, M, N, K, B);
        double g = gemm_gflops(threads, reps_for(per_rep, rate, threads, share), M, N, K, B);
        if (g > p.gemm) { p.gemm = g; p.m = M; p.n = N; p.k = K; }
    }
    p.peak = p.fma > p.gemm ? p.fma : p.gemm;
    return p;
}
