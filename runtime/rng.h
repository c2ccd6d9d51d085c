/* Counter-based random numbers (Random123's Philox4x32-10): a value is a pure
 * function of (key, counter), so a dropout mask can be regenerated in
 * backward instead of stored, any thread can produce any element, and runs
 * are reproducible whatever the thread count or channel blocking. */
#ifndef HEP_RNG_H
#define HEP_RNG_H

#include <stdint.h>
#include <Random123/philox.h>

/* Dropout draws: element `index` (logical [n][h][w][c] order of a layer's
 * output) of dropout layer `layer` at global step `step` gets a 16-bit draw
 * and is kept when the draw is below keep_threshold = round(keep * 65536).
 * Elements come in groups of 64: element e of group g takes half (e>>3)&1 of
 * word (e>>4)&3 of the Philox output for counter 8g + (e&7). So one Philox
 * call serves 8 elements, and 8 consecutive counters serve 64 consecutive
 * elements with contiguous, vectorisable reads (hep_rng_philox8). */
static inline uint32_t hep_rng_draw16(uint64_t seed, uint64_t step, uint32_t layer, uint64_t index)
{
    uint64_t counter = ((index >> 6) << 3) | (index & 7);
    philox4x32_ctr_t ctr = { { (uint32_t)counter, (uint32_t)(counter >> 32), (uint32_t)step,
                               layer ^ ((uint32_t)(step >> 32) << 8) } };
    philox4x32_key_t key = { { (uint32_t)seed, (uint32_t)(seed >> 32) } };
    philox4x32_ctr_t r = philox4x32(ctr, key);
    uint32_t w = r.v[(index >> 4) & 3];
    return ((index >> 3) & 1) ? w >> 16 : w & 0xffffu;
}

/* Lanes of the vectorised Philox: only the low 32 bits of a word matter.
 * With AVX-512BW (skx, native here) 64-bit lanes avoid packing the 32x32->64
 * products back to 32 bits every round (30% faster); the AVX2 and knl code
 * is faster with 32-bit lanes. The draws are the same either way. */
#if defined(__AVX512BW__)
typedef uint64_t hep_rng_word;
#else
typedef uint32_t hep_rng_word;
#endif

/* Philox4x32-10 (as Random123's philox4x32) for the 8 counters of group g,
 * written so that the compiler vectorises across them: out[word][lane], low
 * 32 bits. (A scalar Philox call per 8 elements made dropout cost more than
 * the first layer's convolution.) */
static inline void hep_rng_philox8(uint64_t seed, uint64_t step, uint32_t layer, uint64_t group,
                                   hep_rng_word out[4][8])
{
    const uint32_t key0 = (uint32_t)seed, key1 = (uint32_t)(seed >> 32);
    const uint32_t ctr2 = (uint32_t)step, ctr3 = layer ^ ((uint32_t)(step >> 32) << 8);
#pragma omp simd
    for (int l = 0; l < 8; l++) {
        uint64_t i = group * 8 + (uint64_t)l;
        hep_rng_word c0 = (uint32_t)i, c1 = (uint32_t)(i >> 32), c2 = ctr2, c3 = ctr3;
        uint32_t k0 = key0, k1 = key1;
#pragma GCC unroll 10
        for (int r = 0; r < 10; r++) {
            uint64_t p0 = 0xD2511F53ull * (c0 & 0xffffffffu), p1 = 0xCD9E8D57ull * (c2 & 0xffffffffu);
            c0 = (hep_rng_word)(p1 >> 32) ^ c1 ^ k0;
            c1 = (hep_rng_word)p1;
            c2 = (hep_rng_word)(p0 >> 32) ^ c3 ^ k1;
            c3 = (hep_rng_word)p0;
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        out[0][l] = c0; out[1][l] = c1; out[2][l] = c2; out[3][l] = c3;
    }
}

static inline uint32_t hep_keep_threshold(float keep_prob)
{
    if (keep_prob >= 1.0f) return 65536u;
    if (keep_prob <= 0.0f) return 0u;
    return (uint32_t)(keep_prob * 65536.0f + 0.5f);
}

/* Scale for kept elements (inverted dropout: inference needs no rescaling). */
static inline float hep_keep_scale(uint32_t threshold)
{
    return threshold ? 65536.0f / (float)threshold : 0.0f;
}

/* Uniform (0,1] doubles and standard normals for initialisation; stream
 * `stream`, element i. */
static inline double hep_rng_uniform(uint64_t seed, uint32_t stream, uint64_t i)
{
    philox4x32_ctr_t ctr = { { (uint32_t)i, (uint32_t)(i >> 32), stream, 0x5eed1u } };
    philox4x32_key_t key = { { (uint32_t)seed, (uint32_t)(seed >> 32) } };
    philox4x32_ctr_t r = philox4x32(ctr, key);
    uint64_t bits = ((uint64_t)r.v[0] << 21) ^ (uint64_t)r.v[1];
    return ((double)(bits & ((1ull << 53) - 1)) + 1.0) / 9007199254740992.0;
}

#endif
