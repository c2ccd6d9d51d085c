/* Conversions between the generated code's blocked layouts and plain
 * (PyTorch) order, used off the hot path: checkpoints, initialisation,
 * tests. Blocked activations: [n][K/B][H+2][W+2][B] with a zero border. */
#ifndef HEP_LAYOUT_H
#define HEP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <immintrin.h>
#endif

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

/* Whether a layer writes its output (out_image floats per image) with
 * streaming stores: when the batch's output is past `threshold` bytes it
 * leaves the cache before the next layer reads it, and plain stores would
 * first read every line in. */
static inline int hep_output_streams(size_t threshold, int batch, size_t out_image)
{
    return (size_t)batch * out_image * sizeof(float) > threshold;
}

/* The threshold: 64 MiB, twice the largest last-level cache slice a core of
 * the targeted machines shares (32 MiB on AMD Zen 3/4, 40 MiB on Cori's
 * Haswell; hep224's first conv at batch 16, 106 MiB, gained 6-10% with
 * streaming stores, hep64's, 36 MiB, lost 5%), or HEPCNN_STREAM_MIB. */
static inline int hep_stream_threshold(size_t *bytes, char *err, size_t errlen)
{
    const char *mib = getenv("HEPCNN_STREAM_MIB");
    char *end;
    *bytes = (size_t)64 << 20;
    if (!mib) return 0;
    unsigned long long v = strtoull(mib, &end, 10);
    if (end == mib || *end || mib[0] == '-' || v > (1ULL << 40)) {
        snprintf(err, errlen, "HEPCNN_STREAM_MIB: expected a whole number of MiB (0 streams every layer's output), "
                              "got '%s'", mib);
        return -1;
    }
    *bytes = (size_t)v << 20;
    return 0;
}

/* Makes this thread's streaming (non-temporal) stores visible before any
 * later store of it: they are weakly ordered, so a thread that wrote
 * results with them calls this before it signals that they are done. */
static inline void hep_streaming_stores_done(void)
{
#if defined(__SSE__)
    _mm_sfence();
#endif
}

/* dst[0..n) = src[0..n) with streaming stores, past the caches, where the
 * vector width divides n and dst is aligned to it (a plain copy otherwise):
 * for results nothing reads before they would have left the cache anyway.
 * The writer calls hep_streaming_stores_done before it signals them done. */
static inline void hep_stream_floats(float *restrict dst, const float *restrict src, int n)
{
#if defined(__AVX512F__)
    if (n % 16 == 0 && (uintptr_t)dst % 64 == 0) {
        for (int i = 0; i < n; i += 16) _mm512_stream_ps(dst + i, _mm512_loadu_ps(src + i));
        return;
    }
#elif defined(__AVX__)
    if (n % 8 == 0 && (uintptr_t)dst % 32 == 0) {
        for (int i = 0; i < n; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
        return;
    }
#endif
    memcpy(dst, src, sizeof(float) * (size_t)n);
}

/* The same for n bytes (mask bytes), in 32-byte stores. */
static inline void hep_stream_bytes(uint8_t *restrict dst, const uint8_t *restrict src, int n)
{
#if defined(__AVX__)
    if (n % 32 == 0 && (uintptr_t)dst % 32 == 0) {
        for (int i = 0; i < n; i += 32)
            _mm256_stream_si256((__m256i *)(dst + i), _mm256_loadu_si256((const __m256i *)(src + i)));
        return;
    }
#endif
    memcpy(dst, src, (size_t)n);
}

/* dst[c][r] = src[r][c] for a rows x cols matrix, in 32x32 tiles (a plain
 * loop strides through memory on one side and ran at a tenth of copy speed),
 * threads over row tiles. */
static inline void hep_transpose(const float *restrict src, int rows, int cols, float *restrict dst)
{
    enum { T = 32 };
#pragma omp parallel for schedule(static)
    for (int r0 = 0; r0 < rows; r0 += T)
        for (int c0 = 0; c0 < cols; c0 += T) {
            int r1 = r0 + T < rows ? r0 + T : rows, c1 = c0 + T < cols ? c0 + T : cols;
            for (int c = c0; c < c1; c++)
                for (int r = r0; r < r1; r++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
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
