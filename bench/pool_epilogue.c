/* The pooled epilogue alone (runtime/epilogue.h), on one row held in L1:
 * ns per pooled pixel of B channels for a training forward (mask and
 * dropout), inference (neither) and the backward (from the mask), the
 * least of ROUNDS rounds. Built per arch, so the arch's ISA picks the code:
 *   make build/runtime-skx/bench_pool_epilogue && build/runtime-skx/bench_pool_epilogue
 * Its figures are for comparing builds of the epilogue on one host; the
 * layers' own times are make bench's. */
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <epilogue.h>

enum { W = 16, B = 32, REPS = 100000, ROUNDS = 5 };

/* What an optimiser may not drop: the results are read through here. */
static volatile float sink;

typedef struct {
    float tile[2 * W * B], bias[B], out[W / 2 * B], dy0[W * B], dy1[W * B], dbias[B];
    uint8_t mask[W / 2 * B / 2];
    uint16_t kept[W / 2 * B / 16];
} row;

/* Least seconds of ROUNDS rounds of REPS calls of pass (0 training
 * forward, 1 inference, 2 backward). */
static double least_time(row *r, int pass)
{
    const hep_keep keep = { r->kept, B, 2.0f };
    const hep_dropout drop = hep_dropout_make(1, 0.5f, 1, 1, 1);
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        const double t0 = omp_get_wtime();
        for (int i = 0; i < REPS; i++) {
            if (pass == 0) hep_epilogue_pool(r->tile, W, B, r->bias, 1, r->out, r->mask, keep, 0);
            else if (pass == 1) hep_epilogue_pool(r->tile, W, B, r->bias, 1, r->out, NULL, hep_keep_none(), 0);
            else hep_epilogue_pool_backward(r->out, r->mask, W, B, r->dy0, r->dy1, r->dbias, &drop, NULL, NULL);
            __asm__ volatile("" ::: "memory");   /* each call's stores happen */
        }
        const double t = omp_get_wtime() - t0;
        if (t < best) best = t;
    }
    sink = r->out[3] + r->dy0[5] + r->dbias[7];
    return best;
}

int main(void)
{
    static row r;
    for (int i = 0; i < 2 * W * B; i++) r.tile[i] = (float)(i * 7919 % 13) - 6.0f;
    for (int j = 0; j < B; j++) r.bias[j] = 0.1f * (float)j;
    for (int i = 0; i < W / 2 * B / 16; i++) r.kept[i] = (uint16_t)(i * 40503u);
    static const char *names[] = { "training forward (mask, dropout)", "inference (no mask)",
                                   "backward (from the mask)" };
    for (int pass = 0; pass < 3; pass++)
        printf("pooled epilogue, %-33s %6.2f ns per pooled pixel of %d channels\n", names[pass],
               least_time(&r, pass) / REPS / (W / 2) * 1e9, B);
    return 0;
}
