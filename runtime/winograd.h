/* The one-dimensional transforms of Winograd's minimal filtering F(m, 3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016), for m = 2 (points 0, 1, -1, infinity), m = 4 (0, 1, -1, 2, -2,
 * infinity) and m = 6 (0, 1, -1, 2, -2, 1/2, -1/2, infinity: the points of
 * Lavin's and NNPACK's F(6x6,3x3), whose constants in B and A are exact in
 * binary), and m = 8 (0, 2, -2, 1/2, -1/2, 5/4, -5/4, 4/5, -4/5, infinity:
 * of the sets tools/winograd_points.py searched, the one with the smallest
 * fp32 error, 3e-5 rms against 4e-4 for the powers of two up to 4). A
 * two-dimensional F(m x m, 3 x 3) transform is one of these over the
 * columns of a tile and then over its rows.
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

/* F(6, 3): B^T rows (1 0 -21/4 0 21/4 0 -1 0), (0 1 1 -17/4 -17/4 1 1 0),
 * (0 -1 1 17/4 -17/4 -1 1 0), (0 1/2 1/4 -5/2 -5/4 2 1 0),
 * (0 -1/2 1/4 5/2 -5/4 -2 1 0), (0 2 4 -5/2 -5 1/2 1 0),
 * (0 -2 4 5/2 -5 -1/2 1 0), (0 -1 0 21/4 0 -21/4 0 1): rows 1-2, 3-4 and
 * 5-6 are an even part plus and minus an odd one. */
static inline void hep_wino6_input(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b], d4 = x[4 * xs + b],
              d5 = x[5 * xs + b], d6 = x[6 * xs + b], d7 = x[7 * xs + b];
        float e1 = d2 + d6 - 4.25f * d4, o1 = d1 + d5 - 4.25f * d3;
        float e2 = 0.25f * d2 - 1.25f * d4 + d6, o2 = 0.5f * d1 - 2.5f * d3 + 2.0f * d5;
        float e3 = 4.0f * d2 - 5.0f * d4 + d6, o3 = 2.0f * d1 - 2.5f * d3 + 0.5f * d5;
        y[b] = d0 - d6 + 5.25f * (d4 - d2);
        y[ys + b] = e1 + o1;
        y[2 * ys + b] = e1 - o1;
        y[3 * ys + b] = e2 + o2;
        y[4 * ys + b] = e2 - o2;
        y[5 * ys + b] = e3 + o3;
        y[6 * ys + b] = e3 - o3;
        y[7 * ys + b] = d7 - d1 + 5.25f * (d3 - d5);
    }
}

/* A^T rows (1 1 1 1 1 1 1 0), (0 1 -1 2 -2 1/2 -1/2 0), (0 1 1 4 4 1/4 1/4 0),
 * (0 1 -1 8 -8 1/8 -1/8 0), (0 1 1 16 16 1/16 1/16 0),
 * (0 1 -1 32 -32 1/32 -1/32 1). */
static inline void hep_wino6_output(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float m1 = x[xs + b], m2 = x[2 * xs + b], m3 = x[3 * xs + b], m4 = x[4 * xs + b], m5 = x[5 * xs + b],
              m6 = x[6 * xs + b];
        float a1 = m1 + m2, s1 = m1 - m2, a2 = m3 + m4, s2 = m3 - m4, a3 = m5 + m6, s3 = m5 - m6;
        y[b] = x[b] + a1 + a2 + a3;
        y[ys + b] = s1 + 2.0f * s2 + 0.5f * s3;
        y[2 * ys + b] = a1 + 4.0f * a2 + 0.25f * a3;
        y[3 * ys + b] = s1 + 8.0f * s2 + 0.125f * s3;
        y[4 * ys + b] = a1 + 16.0f * a2 + 0.0625f * a3;
        y[5 * ys + b] = s1 + 32.0f * s2 + 0.03125f * s3 + x[7 * xs + b];
    }
}

/* G rows (1 0 0), (-2/9 -2/9 -2/9), (-2/9 2/9 -2/9), (1/90 1/45 2/45),
 * (1/90 -1/45 2/45), (32/45 16/45 8/45), (32/45 -16/45 8/45), (0 0 1). */
static inline void hep_wino6_weights(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float g0 = x[b], g1 = x[xs + b], g2 = x[2 * xs + b];
        float even = g0 + g2, near = g0 / 90.0f + g2 * (2.0f / 45.0f), far = g0 * (32.0f / 45.0f) + g2 * (8.0f / 45.0f);
        y[b] = g0;
        y[ys + b] = -(even + g1) * (2.0f / 9.0f);
        y[2 * ys + b] = -(even - g1) * (2.0f / 9.0f);
        y[3 * ys + b] = near + g1 / 45.0f;
        y[4 * ys + b] = near - g1 / 45.0f;
        y[5 * ys + b] = far + g1 * (16.0f / 45.0f);
        y[6 * ys + b] = far - g1 * (16.0f / 45.0f);
        y[7 * ys + b] = g2;
    }
}

/* A rows (1 0 0 0 0 0), (1 1 1 1 1 1), (1 -1 1 -1 1 -1), (1 2 4 8 16 32),
 * (1 -2 4 -8 16 -32), (1 1/2 1/4 1/8 1/16 1/32), (1 -1/2 1/4 -1/8 1/16 -1/32),
 * (0 0 0 0 0 1). */
static inline void hep_wino6_output_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b], d4 = x[4 * xs + b],
              d5 = x[5 * xs + b];
        float e1 = d0 + d2 + d4, o1 = d1 + d3 + d5;
        float e2 = d0 + 4.0f * d2 + 16.0f * d4, o2 = 2.0f * d1 + 8.0f * d3 + 32.0f * d5;
        float e3 = d0 + 0.25f * d2 + 0.0625f * d4, o3 = 0.5f * d1 + 0.125f * d3 + 0.03125f * d5;
        y[b] = d0;
        y[ys + b] = e1 + o1;
        y[2 * ys + b] = e1 - o1;
        y[3 * ys + b] = e2 + o2;
        y[4 * ys + b] = e2 - o2;
        y[5 * ys + b] = e3 + o3;
        y[6 * ys + b] = e3 - o3;
        y[7 * ys + b] = d5;
    }
}

/* G^T rows (1 -2/9 -2/9 1/90 1/90 32/45 32/45 0),
 * (0 -2/9 2/9 1/45 -1/45 16/45 -16/45 0), (0 -2/9 -2/9 2/45 2/45 8/45 8/45 1). */
static inline void hep_wino6_weights_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float u1 = x[xs + b], u2 = x[2 * xs + b], u3 = x[3 * xs + b], u4 = x[4 * xs + b], u5 = x[5 * xs + b],
              u6 = x[6 * xs + b];
        float a1 = u1 + u2, a2 = u3 + u4, a3 = u5 + u6;
        y[b] = x[b] - a1 * (2.0f / 9.0f) + a2 / 90.0f + a3 * (32.0f / 45.0f);
        y[ys + b] = (u2 - u1) * (2.0f / 9.0f) + (u3 - u4) / 45.0f + (u5 - u6) * (16.0f / 45.0f);
        y[2 * ys + b] = -a1 * (2.0f / 9.0f) + a2 * (2.0f / 45.0f) + a3 * (8.0f / 45.0f) + x[7 * xs + b];
    }
}


/* F(8, 3), from tools/winograd_points.py (exact fractions): the rows of
 * B^T, G and A for the points +a and -a share an even part (the terms of
 * even index) and differ in the sign of the odd part. */
static inline void hep_wino8_input(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b], d4 = x[4 * xs + b],
              d5 = x[5 * xs + b], d6 = x[6 * xs + b], d7 = x[7 * xs + b], d8 = x[8 * xs + b], d9 = x[9 * xs + b];
        float e1 = -(1.0f / 4.0f) * d2 + (2481.0f / 1600.0f) * d4 - (981.0f / 400.0f) * d6 + d8,
              o1 = -(1.0f / 2.0f) * d1 + (2481.0f / 800.0f) * d3 - (981.0f / 200.0f) * d5 + 2.0f * d7;
        float e2 = -4.0f * d2 + (981.0f / 100.0f) * d4 - (2481.0f / 400.0f) * d6 + d8,
              o2 = -2.0f * d1 + (981.0f / 200.0f) * d3 - (2481.0f / 800.0f) * d5 + (1.0f / 2.0f) * d7;
        float e3 = -(16.0f / 25.0f) * d2 + (93.0f / 25.0f) * d4 - (489.0f / 100.0f) * d6 + d8,
              o3 = -(4.0f / 5.0f) * d1 + (93.0f / 20.0f) * d3 - (489.0f / 80.0f) * d5 + (5.0f / 4.0f) * d7;
        float e4 = -(25.0f / 16.0f) * d2 + (489.0f / 64.0f) * d4 - (93.0f / 16.0f) * d6 + d8,
              o4 = -(5.0f / 4.0f) * d1 + (489.0f / 80.0f) * d3 - (93.0f / 20.0f) * d5 + (4.0f / 5.0f) * d7;
        y[b] = d0 - (2581.0f / 400.0f) * (d2 + d6) + (18177.0f / 1600.0f) * d4 + d8;
        y[ys + b] = e1 + o1;
        y[2 * ys + b] = e1 - o1;
        y[3 * ys + b] = e2 + o2;
        y[4 * ys + b] = e2 - o2;
        y[5 * ys + b] = e3 + o3;
        y[6 * ys + b] = e3 - o3;
        y[7 * ys + b] = e4 + o4;
        y[8 * ys + b] = e4 - o4;
        y[9 * ys + b] = d1 - (2581.0f / 400.0f) * (d3 + d7) + (18177.0f / 1600.0f) * d5 + d9;
    }
}

/* A^T row i: 1 (i = 0), then a^i for each point a, then 1 (i = 7). */
static inline void hep_wino8_output(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float a1 = x[xs + b] + x[2 * xs + b], s1 = x[xs + b] - x[2 * xs + b];
        float a2 = x[3 * xs + b] + x[4 * xs + b], s2 = x[3 * xs + b] - x[4 * xs + b];
        float a3 = x[5 * xs + b] + x[6 * xs + b], s3 = x[5 * xs + b] - x[6 * xs + b];
        float a4 = x[7 * xs + b] + x[8 * xs + b], s4 = x[7 * xs + b] - x[8 * xs + b];
        y[b] = x[b] + a1 + a2 + a3 + a4;
        y[ys + b] = 2.0f * s1 + (1.0f / 2.0f) * s2 + (5.0f / 4.0f) * s3 + (4.0f / 5.0f) * s4;
        y[2 * ys + b] = 4.0f * a1 + (1.0f / 4.0f) * a2 + (25.0f / 16.0f) * a3 + (16.0f / 25.0f) * a4;
        y[3 * ys + b] = 8.0f * s1 + (1.0f / 8.0f) * s2 + (125.0f / 64.0f) * s3 + (64.0f / 125.0f) * s4;
        y[4 * ys + b] = 16.0f * a1 + (1.0f / 16.0f) * a2 + (625.0f / 256.0f) * a3 + (256.0f / 625.0f) * a4;
        y[5 * ys + b] = 32.0f * s1 + (1.0f / 32.0f) * s2 + (3125.0f / 1024.0f) * s3 + (1024.0f / 3125.0f) * s4;
        y[6 * ys + b] = 64.0f * a1 + (1.0f / 64.0f) * a2 + (15625.0f / 4096.0f) * a3 + (4096.0f / 15625.0f) * a4;
        y[7 * ys + b] = 128.0f * s1 + (1.0f / 128.0f) * s2 + (78125.0f / 16384.0f) * s3
                        + (16384.0f / 78125.0f) * s4 + x[9 * xs + b];
    }
}

/* G rows: (1 0 0), then (1 a a^2) / prod over the other points b of (a - b),
 * then (0 0 1). */
static inline void hep_wino8_weights(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float g0 = x[b], g1 = x[xs + b], g2 = x[2 * xs + b];
        float e1 = (10.0f / 2457.0f) * g0 + (40.0f / 2457.0f) * g2, o1 = (20.0f / 2457.0f) * g1;
        float e2 = -(2560.0f / 2457.0f) * g0 - (640.0f / 2457.0f) * g2, o2 = -(1280.0f / 2457.0f) * g1;
        float e3 = -(32768.0f / 302211.0f) * g0 - (51200.0f / 302211.0f) * g2, o3 = -(40960.0f / 302211.0f) * g1;
        float e4 = (390625.0f / 604422.0f) * g0 + (125000.0f / 302211.0f) * g2, o4 = (156250.0f / 302211.0f) * g1;
        y[b] = g0;
        y[ys + b] = e1 + o1;
        y[2 * ys + b] = e1 - o1;
        y[3 * ys + b] = e2 + o2;
        y[4 * ys + b] = e2 - o2;
        y[5 * ys + b] = e3 + o3;
        y[6 * ys + b] = e3 - o3;
        y[7 * ys + b] = e4 + o4;
        y[8 * ys + b] = e4 - o4;
        y[9 * ys + b] = g2;
    }
}

/* A: the transpose of hep_wino8_output's A^T. */
static inline void hep_wino8_output_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float d0 = x[b], d1 = x[xs + b], d2 = x[2 * xs + b], d3 = x[3 * xs + b], d4 = x[4 * xs + b],
              d5 = x[5 * xs + b], d6 = x[6 * xs + b], d7 = x[7 * xs + b];
        float e1 = d0 + 4.0f * d2 + 16.0f * d4 + 64.0f * d6, o1 = 2.0f * d1 + 8.0f * d3 + 32.0f * d5 + 128.0f * d7;
        float e2 = d0 + (1.0f / 4.0f) * d2 + (1.0f / 16.0f) * d4 + (1.0f / 64.0f) * d6,
              o2 = (1.0f / 2.0f) * d1 + (1.0f / 8.0f) * d3 + (1.0f / 32.0f) * d5 + (1.0f / 128.0f) * d7;
        float e3 = d0 + (25.0f / 16.0f) * d2 + (625.0f / 256.0f) * d4 + (15625.0f / 4096.0f) * d6,
              o3 = (5.0f / 4.0f) * d1 + (125.0f / 64.0f) * d3 + (3125.0f / 1024.0f) * d5 + (78125.0f / 16384.0f) * d7;
        float e4 = d0 + (16.0f / 25.0f) * d2 + (256.0f / 625.0f) * d4 + (4096.0f / 15625.0f) * d6,
              o4 = (4.0f / 5.0f) * d1 + (64.0f / 125.0f) * d3 + (1024.0f / 3125.0f) * d5 + (16384.0f / 78125.0f) * d7;
        y[b] = d0;
        y[ys + b] = e1 + o1;
        y[2 * ys + b] = e1 - o1;
        y[3 * ys + b] = e2 + o2;
        y[4 * ys + b] = e2 - o2;
        y[5 * ys + b] = e3 + o3;
        y[6 * ys + b] = e3 - o3;
        y[7 * ys + b] = e4 + o4;
        y[8 * ys + b] = e4 - o4;
        y[9 * ys + b] = d7;
    }
}

/* G^T: the transpose of hep_wino8_weights' G. */
static inline void hep_wino8_weights_grad(const float *restrict x, size_t xs, float *restrict y, size_t ys, int B)
{
#pragma omp simd
    for (int b = 0; b < B; b++) {
        float a1 = x[xs + b] + x[2 * xs + b], s1 = x[xs + b] - x[2 * xs + b];
        float a2 = x[3 * xs + b] + x[4 * xs + b], s2 = x[3 * xs + b] - x[4 * xs + b];
        float a3 = x[5 * xs + b] + x[6 * xs + b], s3 = x[5 * xs + b] - x[6 * xs + b];
        float a4 = x[7 * xs + b] + x[8 * xs + b], s4 = x[7 * xs + b] - x[8 * xs + b];
        y[b] = x[b] + (10.0f / 2457.0f) * a1 - (2560.0f / 2457.0f) * a2 - (32768.0f / 302211.0f) * a3
               + (390625.0f / 604422.0f) * a4;
        y[ys + b] = (20.0f / 2457.0f) * s1 - (1280.0f / 2457.0f) * s2 - (40960.0f / 302211.0f) * s3
                    + (156250.0f / 302211.0f) * s4;
        y[2 * ys + b] = (40.0f / 2457.0f) * a1 - (640.0f / 2457.0f) * a2 - (51200.0f / 302211.0f) * a3
                        + (125000.0f / 302211.0f) * a4 + x[9 * xs + b];
    }
}

#endif
