/* Streaming (non-temporal) stores: results written past the caches when
 * nothing reads them before they would have left the cache anyway (a large
 * layer output, a weight gradient only the optimiser reads), so that a store
 * does not first read its line in. They are weakly ordered: every thread
 * that used them calls hep_streaming_stores_done before it signals its
 * results done (before the parallel region's barrier). */
#ifndef HEP_STREAM_H
#define HEP_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__)
#include <immintrin.h>
#endif

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

/* The same for n bytes (a pooled row's mask), in 32-byte stores, or
 * 16-byte ones. */
static inline void hep_stream_bytes(uint8_t *restrict dst, const uint8_t *restrict src, int n)
{
#if defined(__AVX__)
    if (n % 32 == 0 && (uintptr_t)dst % 32 == 0) {
        for (int i = 0; i < n; i += 32)
            _mm256_stream_si256((__m256i *)(dst + i), _mm256_loadu_si256((const __m256i *)(src + i)));
        return;
    }
#endif
#if defined(__SSE2__)
    if (n % 16 == 0 && (uintptr_t)dst % 16 == 0) {
        for (int i = 0; i < n; i += 16)
            _mm_stream_si128((__m128i *)(void *)(dst + i), _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
        return;
    }
#endif
    memcpy(dst, src, (size_t)n);
}

#endif
