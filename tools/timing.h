/* What the timing drivers share (tools/tune_model.c, tools/ab_models.c):
 * their inputs and the order of their figures. */
#ifndef HEP_TOOLS_TIMING_H
#define HEP_TOOLS_TIMING_H

#include <stddef.h>
#include <stdlib.h>

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n-1], which it sorts (v[0] is then the least). */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Small pseudo-random values: the timing does not depend on them, but
 * NaNs or denormals would. */
static inline void fill(float *x, size_t n, unsigned *state, float scale)
{
    for (size_t i = 0; i < n; i++) {
        *state = *state * 1664525u + 1013904223u;
        x[i] = scale * ((float)(*state >> 8) / 16777216.0f - 0.5f);
    }
}

#endif
