#include "peak.h"

#include <libxsmm.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

double hep_measure_peak(int threads, double seconds, const char *target)
{
    enum { M = 64, N = 28, K = 64, BLOCKS = 18 };
    libxsmm_init();
    if (target) libxsmm_set_target_arch(target);
    const float one = 1.0f, zero = 0.0f;
    const int flags = LIBXSMM_GEMM_FLAG_NONE;
    const libxsmm_blasint lda = M, ldb = K, ldc = M;
    libxsmm_smmfunction_reducebatch_strd kernel = libxsmm_smmdispatch_reducebatch_strd(
        M, N, K, M * K * 4, K * N * 4, &lda, &ldb, &ldc, &one, &zero, &flags, NULL);
    if (!kernel) { fprintf(stderr, "peak: libxsmm dispatch failed\n"); exit(1); }
    long reps = 2000;
    double best = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
        {
            float *a = aligned_alloc(64, sizeof(float) * M * K * BLOCKS);
            float *b = aligned_alloc(64, sizeof(float) * K * N * BLOCKS);
            float *c = aligned_alloc(64, sizeof(float) * M * N);
            for (int i = 0; i < M * K * BLOCKS; i++) a[i] = 1e-3f * (i % 7);
            for (int i = 0; i < K * N * BLOCKS; i++) b[i] = 1e-3f * (i % 5);
            const unsigned long long count = BLOCKS;
#pragma omp barrier
            for (long r = 0; r < reps; r++) kernel(a, b, c, &count);
            if (c[0] < -1) printf("impossible\n");
            free(a); free(b); free(c);
        }
        double dt = omp_get_wtime() - t0;
        double gflops = 2.0 * M * N * K * BLOCKS * reps * threads / dt / 1e9;
        if (gflops > best) best = gflops;
        reps = (long)(reps * seconds / dt) + 1;   /* second attempt: about `seconds` long */
    }
    return best;
}
