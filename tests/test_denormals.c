/* A model flushes denormal floats to zero in every thread that runs it
 * (runtime/denormals.h): creates a model with THREADS threads, then, in a
 * parallel region of THREADS and one of twice as many (threads libgomp adds
 * later), checks each thread's MXCSR and that a product below FLT_MIN
 * comes out as zero and a denormal operand reads as zero. Fails if
 * hep_model_create stops setting it, or sets it in the caller only.
 * Usage: test_denormals [threads] */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <model.h>
#include <denormals.h>

/* 1 where this thread computes with denormals, 0 where it flushes them. */
static int keeps_denormals(void)
{
    volatile float tiny = FLT_MIN, half = 0.5f, denormal = FLT_MIN / 4;
    volatile float product = tiny * half;        /* FLT_MIN / 2: denormal unless flushed */
    volatile float sum = denormal + 0.0f;       /* a denormal operand: zero if read as zero */
    return !hep_flushing_denormals() || product != 0.0f || sum != 0.0f;
}

static int threads_keeping(int team)
{
    int keeping = 0;
    #pragma omp parallel num_threads(team) reduction(+ : keeping)
    keeping += keeps_denormals();
    return keeping;
}

int main(int argc, char **argv)
{
    const int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1) { fprintf(stderr, "usage: test_denormals [threads >= 1]\n"); return 2; }
    printf("before the model: %d of %d threads keep denormals\n", threads_keeping(threads), threads);
    char err[512];
    hep_model *m = hep_model_create(4, threads, err, sizeof err);
    if (!m) { fprintf(stderr, "test_denormals: %s\n", err); return 1; }
    const int caller = keeps_denormals(), team = threads_keeping(threads), more = threads_keeping(2 * threads);
    printf("after hep_model_create: the caller %s, %d of %d threads keep denormals, %d of %d in a larger team\n",
           caller ? "keeps them" : "flushes them", team, threads, more, 2 * threads);
    hep_model_destroy(m);
    const int ok = !caller && team == 0 && more == 0;
    printf("%s\n", ok ? "OK" : "FAIL: denormals reach the model's threads");
    return ok ? 0 : 1;
}
