/* Counter-based random numbers (Random123's Philox4x32-10): a value is a pure
 * function of (key, counter), so a dropout mask can be regenerated in
 * backward instead of stored, any thread can produce any element, and runs
 * are reproducible whatever the thread count or channel blocking. */
#ifndef HEP_RNG_H
#define HEP_RNG_H

#include <stdint.h>
#include <Random123/philox.h>

/* Dropout keeps element `index` (logical [n][h][w][c] order of the layer's
 * output) of layer `layer` at global step `step` when its 16-bit draw is
 * below keep_threshold = round(keep_prob * 65536). One Philox call yields
 * eight 16-bit draws: elements 8i..8i+7 share it. */
static inline void hep_rng_draw8(uint64_t seed, uint64_t step, uint32_t layer, uint64_t index8,
                                 uint16_t out[8])
{
    philox4x32_ctr_t ctr = { { (uint32_t)index8, (uint32_t)(index8 >> 32), (uint32_t)step,
                               layer ^ ((uint32_t)(step >> 32) << 8) } };
    philox4x32_key_t key = { { (uint32_t)seed, (uint32_t)(seed >> 32) } };
    philox4x32_ctr_t r = philox4x32(ctr, key);
    for (int i = 0; i < 4; i++) {
        out[2 * i] = (uint16_t)r.v[i];
        out[2 * i + 1] = (uint16_t)(r.v[i] >> 16);
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
