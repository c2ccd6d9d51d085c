/* The one-dimensional transforms of Winograd's minimal filtering F(m, 3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016), for m = 2 (points 0, 1, -1, infinity) and m = 4 (0, 1, -1, 2, -2,
 * infinity). A two-dimensional F(m x m, 3 x 3) transform is one of these
 * over the columns of a tile and then over its rows.
 *
 * Every function maps n vectors of B channels, the i-th at x + i * xs, to
 * its results, the j-th at y + j * ys; the loops over B are what the
 * compiler vectorises. They are inline so that B, the strides and the
 * constants fold into the generated layer that calls them.
 *
 *   input   B^T d : m + 2 -> m + 2
 *   output  A^T M : m + 2 -> m
 *   weights G g   : 3     -> m + 2
 *
 * and, for backward-weights (the gradient of Y = A^T [U . V] A with
 * respect to U is (A dY A^T) . V, and with respect to g, G^T dU G):
 *
 *   output gradient  A dY  : m     -> m + 2
 *   weight gradient  G^T dU: m + 2 -> 3 */
#ifndef HEP_WINOGRAD_H
#define HEP_WINOGRAD_H

#include <stddef.h>

static inline void hep_wino2_input(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b];
        y[b] = d0 - d2;
        y[ys + b] = d1 + d2;
        y[2 * ys + b] = d2 - d1;
        y[3 * ys + b] = d1 - d3;
    }
}

static inline void hep_wino2_output(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float m1 = x[xs + b], m2 = x[2 * xs + b];
        y[b] = x[b] + m1 + m2;
        y[ys + b] = m1 - m2 - x[3 * xs + b];
    }
}

static inline void hep_wino2_weights(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float g0 = x[b], g1 = x[xs + b], g2 = x[2 * xs + b];
        y[b] = g0;
        y[ys + b] = 0.5f * (g0 + g1 + g2);
        y[2 * ys + b] = 0.5f * (g0 - g1 + g2);
        y[3 * ys + b] = g2;
    }
}

/* A rows (1 0), (1 1), (1 -1), (0 -1). */
static inline void hep_wino2_output_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b];
        y[b] = d0;
        y[ys + b] = d0 + d1;
        y[2 * ys + b] = d0 - d1;
        y[3 * ys + b] = -d1;
    }
}

/* G^T rows (1 1/2 1/2 0), (0 1/2 -1/2 0), (0 1/2 1/2 1). */
static inline void hep_wino2_weights_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float u1 = 0.5f * x[xs + b], u2 = 0.5f * x[2 * xs + b];
        y[b] = x[b] + u1 + u2;
        y[ys + b] = u1 - u2;
        y[2 * ys + b] = u1 + u2 + x[3 * xs + b];
    }
}

/* F(4, 3): B^T rows (4 0 -5 0 1 0), (0 -4 -4 1 1 0), (0 4 -4 -1 1 0),
 * (0 -2 -1 2 1 0), (0 2 -1 -2 1 0), (0 4 0 -5 0 1). */
static inline void hep_wino4_input(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b], d4 = x[4 * xs + b],
              d5 = x[5 * xs + b];
        float p = d4 - 4.0f * d2, q = d3 - 4.0f * d1;   /* rows 1 and 2 */
        float r = d4 - d2, s = 2.0f * (d3 - d1);        /* rows 3 and 4 */
        y[b] = 4.0f * d0 - 5.0f * d2 + d4;
        y[ys + b] = p + q;
        y[2 * ys + b] = p - q;
        y[3 * ys + b] = r + s;
        y[4 * ys + b] = r - s;
        y[5 * ys + b] = 4.0f * d1 - 5.0f * d3 + d5;
    }
}

/* A^T rows (1 1 1 1 1 0), (0 1 -1 2 -2 0), (0 1 1 4 4 0), (0 1 -1 8 -8 1). */
static inline void hep_wino4_output(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float m1 = x[xs + b], m2 = x[2 * xs + b], m3 = x[3 * xs + b], m4 = x[4 * xs + b];
        float a = m1 + m2, d = m1 - m2, c = m3 + m4, e = m3 - m4;
        y[b] = x[b] + a + c;
        y[ys + b] = d + 2.0f * e;
        y[2 * ys + b] = a + 4.0f * c;
        y[3 * ys + b] = d + 8.0f * e + x[5 * xs + b];
    }
}

/* G rows (1/4 0 0), (-1/6 -1/6 -1/6), (-1/6 1/6 -1/6), (1/24 1/12 1/6),
 * (1/24 -1/12 1/6), (0 0 1). */
static inline void hep_wino4_weights(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float g0 = x[b], g1 = x[xs + b], g2 = x[2 * xs + b];
        float even = g0 + g2, far = g0 / 24.0f + g2 / 6.0f;
        y[b] = g0 / 4.0f;
        y[ys + b] = -(even + g1) / 6.0f;
        y[2 * ys + b] = -(even - g1) / 6.0f;
        y[3 * ys + b] = far + g1 / 12.0f;
        y[4 * ys + b] = far - g1 / 12.0f;
        y[5 * ys + b] = g2;
    }
}

/* A rows (1 0 0 0), (1 1 1 1), (1 -1 1 -1), (1 2 4 8), (1 -2 4 -8), (0 0 0 1). */
static inline void hep_wino4_output_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b];
        float even1 = d0 + d2, odd1 = d1 + d3, even2 = d0 + 4.0f * d2, odd2 = 2.0f * d1 + 8.0f * d3;
        y[b] = d0;
        y[ys + b] = even1 + odd1;
        y[2 * ys + b] = even1 - odd1;
        y[3 * ys + b] = even2 + odd2;
        y[4 * ys + b] = even2 - odd2;
        y[5 * ys + b] = d3;
    }
}

/* G^T rows (1/4 -1/6 -1/6 1/24 1/24 0), (0 -1/6 1/6 1/12 -1/12 0),
 * (0 -1/6 -1/6 1/6 1/6 1). */
static inline void hep_wino4_weights_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float u1 = x[xs + b], u2 = x[2 * xs + b], u3 = x[3 * xs + b], u4 = x[4 * xs + b];
        float s12 = u1 + u2, s34 = u3 + u4;
        y[b] = x[b] / 4.0f - s12 / 6.0f + s34 / 24.0f;
        y[ys + b] = (u2 - u1) / 6.0f + (u3 - u4) / 12.0f;
        y[2 * ys + b] = (s34 - s12) / 6.0f + x[5 * xs + b];
    }
}

#endif
