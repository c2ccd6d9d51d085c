/* Conversions between the generated code's blocked layouts and plain
 * (PyTorch) order, used off the hot path: checkpoints, initialisation,
 * tests. Blocked activations: [n][K/B][H+2][W+2][B] with a zero border. */
#ifndef HEP_LAYOUT_H
#define HEP_LAYOUT_H

#include <stddef.h>
#include <string.h>

static inline size_t hep_conv_weight_index(int first, int k, int c, int r, int s, int C, int B)
{
    int kb = k / B, j = k % B;
    if (first) return ((((size_t)kb * 9 + r * 3 + s) * C) + c) * B + j;
    int CB = C / B, cb = c / B, i = c % B;
    return (((((size_t)kb * CB + cb) * 9 + r * 3 + s) * B) + i) * B + j;
}

/* direction 0: internal -> plain [K][C][3][3]; 1: plain -> internal */
static inline void hep_conv_weight_convert(int first, int K, int C, int B, const float *src, float *dst,
                                           int direction)
{
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++)
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 3; s++) {
                    size_t in = hep_conv_weight_index(first, k, c, r, s, C, B);
                    size_t pl = (((size_t)k * C + c) * 3 + r) * 3 + s;
                    if (direction == 0) dst[pl] = src[in]; else dst[in] = src[pl];
                }
}

static inline void hep_blocked_to_plain(const float *src, int n, int K, int H, int W, int B, float *plain)
{
    int KB = K / B;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++)
                    plain[(((size_t)i * K + k) * H + h) * W + w] =
                        src[((((size_t)i * KB + k / B) * (H + 2) + h + 1) * (W + 2) + w + 1) * B + k % B];
}

/* dst[c * ld + r] = src[r][c] for a rows x cols matrix (ld >= rows), in
 * 32x32 tiles (a plain loop strides through memory on one side and ran at a
 * tenth of copy speed), threads over row tiles. */
static inline void hep_transpose(const float *restrict src, int rows, int cols, float *restrict dst, int ld)
{
    enum { T = 32 };
#pragma omp parallel for schedule(static)
    for (int r0 = 0; r0 < rows; r0 += T)
        for (int c0 = 0; c0 < cols; c0 += T) {
            int r1 = r0 + T < rows ? r0 + T : rows, c1 = c0 + T < cols ? c0 + T : cols;
            for (int c = c0; c < c1; c++)
                for (int r = r0; r < r1; r++) dst[(size_t)c * ld + r] = src[(size_t)r * cols + c];
        }
}

/* rows x cols floats from rows src_pitch apart to rows dst_pitch apart
 * (both >= cols), the rest of each dst row zeroed: a dense weight between
 * PyTorch's [out][in] and the internal order, whose rows are padded. */
static inline void hep_copy_rows(float *restrict dst, size_t dst_pitch, const float *restrict src, size_t src_pitch,
                                 int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        memcpy(dst + (size_t)r * dst_pitch, src + (size_t)r * src_pitch, sizeof(float) * cols);
        memset(dst + (size_t)r * dst_pitch + cols, 0, sizeof(float) * (dst_pitch - cols));
    }
}

/* plain[n][f] = fm[f][n] for n < n_images: feature-major [F][N] (batch N)
 * to plain [n_images][F]. */
static inline void hep_transpose_part(const float *fm, int F, int N, int n_images, float *plain)
{
    for (int n = 0; n < n_images; n++)
        for (int f = 0; f < F; f++) plain[(size_t)n * F + f] = fm[(size_t)f * N + n];
}

/* Zero the one-pixel border of a blocked [KB][H+2][W+2][B] image: scratch
 * buffers are shared by layers of different sizes, so a border left zero by
 * allocation may have been another layer's interior. */
static inline void hep_zero_border(float *img, int KB, int H, int W, int B)
{
    for (int kb = 0; kb < KB; kb++) {
        float *plane = img + (size_t)kb * (H + 2) * (W + 2) * B;
        memset(plane, 0, sizeof(float) * (W + 2) * B);
        memset(plane + (size_t)(H + 1) * (W + 2) * B, 0, sizeof(float) * (W + 2) * B);
        for (int h = 1; h <= H; h++) {
            memset(plane + (size_t)h * (W + 2) * B, 0, sizeof(float) * B);
            memset(plane + ((size_t)h * (W + 2) + W + 1) * B, 0, sizeof(float) * B);
        }
    }
}

#endif
