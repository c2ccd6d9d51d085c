/* Counter-based random numbers (Random123's Philox4x32-10): a value is a pure
 * function of (key, counter), so a dropout mask can be regenerated in
 * backward instead of stored, any thread can produce any element, and runs
 * are reproducible whatever the thread count or channel blocking. */
#ifndef HEP_RNG_H
#define HEP_RNG_H

#include <stdint.h>
#include <Random123/philox.h>

/* Dropout draws. A keep threshold T = round(keep * 65536) (hep_keep_threshold)
 * decides an element by a uniform 16-bit draw < T. When T's low bits are
 * zero only the draw's high bits matter, so an element takes just
 * `bits` = 1, 2, 4, 8 or 16 bits (hep_draw_bits: the fewest that hold T's
 * significant bits) and is kept when that draw < T >> (16 - bits): the same
 * probability T / 65536 exactly. keep 0.5 needs one bit, so one Philox call
 * serves 128 elements instead of 8; that is most of what dropout cost.
 *
 * Element `index` (logical [n][h][w][c] order of a layer's output) of
 * dropout layer `layer` at global step `step`: elements come in groups of
 * 64 * 16 / bits; element e of group g is lane e & 7 (Philox counter
 * 8g + (e & 7)) and takes bits t * bits .. t * bits + bits - 1 of that
 * counter's 128-bit output (word 0 lowest), t = e >> 3. So 8 consecutive
 * elements read the same bits of 8 consecutive counters: contiguous,
 * vectorisable reads of hep_rng_philox's output. With 16 bits this is the
 * layout of earlier versions (groups of 64), so their masks are unchanged
 * for a keep probability that needs all 16 bits. */
static inline int hep_draw_group_shift(int bits)
{
    return bits == 16 ? 6 : bits == 8 ? 7 : bits == 4 ? 8 : bits == 2 ? 9 : 10;
}

static inline uint32_t hep_rng_draw(uint64_t seed, uint64_t step, uint32_t layer, uint64_t index, int bits)
{
    const int shift = hep_draw_group_shift(bits);
    const uint64_t e = index & ((1u << shift) - 1);
    uint64_t counter = ((index >> shift) << 3) | (e & 7);
    philox4x32_ctr_t ctr = { { (uint32_t)counter, (uint32_t)(counter >> 32), (uint32_t)step,
                               layer ^ ((uint32_t)(step >> 32) << 8) } };
    philox4x32_key_t key = { { (uint32_t)seed, (uint32_t)(seed >> 32) } };
    philox4x32_ctr_t r = philox4x32(ctr, key);
    const unsigned bit = (unsigned)(e >> 3) * (unsigned)bits;
    return (r.v[bit >> 5] >> (bit & 31)) & ((1u << bits) - 1);
}

/* The vectorised Philox below (hep_rng_philox) keeps a word in a 64-bit
 * lane, of which only the low 32 bits matter: x86's widening multiply
 * (vpmuludq) reads exactly those and leaves the 64-bit product in place, so
 * no round packs or unpacks; the words are packed to 32 bits once, when
 * stored. GCC does not find that instruction by itself (it emits the 3-uop
 * vpmullq), hence the intrinsics; other compilers and CPUs get the plain C,
 * which gives the same draws. */
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif
enum { HEP_PHILOX_M0 = 0xD2511F53u, HEP_PHILOX_M1 = 0xCD9E8D57u,
       HEP_PHILOX_W0 = 0x9E3779B9u, HEP_PHILOX_W1 = 0xBB67AE85u };

#if defined(__AVX512F__)
typedef __m512i hep_rng_vec;   /* 8 lanes */
#define HEP_RNG_LANES 8
#define hep_rng_set1(x) _mm512_set1_epi64((long long)(x))
#define hep_rng_iota() _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)
#define hep_rng_add(a, b) _mm512_add_epi64(a, b)
#define hep_rng_mul(a, b) _mm512_mul_epu32(a, b)
#define hep_rng_hi(a) _mm512_srli_epi64(a, 32)
#define hep_rng_xor3(a, b, c) _mm512_ternarylogic_epi64(a, b, c, 0x96)
#define hep_rng_store(p, a) _mm256_storeu_si256((__m256i *)(void *)(p), _mm512_cvtepi64_epi32(a))
#elif defined(__AVX2__)
typedef __m256i hep_rng_vec;   /* 4 lanes */
#define HEP_RNG_LANES 4
#define hep_rng_set1(x) _mm256_set1_epi64x((long long)(x))
#define hep_rng_iota() _mm256_set_epi64x(3, 2, 1, 0)
#define hep_rng_add(a, b) _mm256_add_epi64(a, b)
#define hep_rng_mul(a, b) _mm256_mul_epu32(a, b)
#define hep_rng_hi(a) _mm256_srli_epi64(a, 32)
#define hep_rng_xor3(a, b, c) _mm256_xor_si256(_mm256_xor_si256(a, b), c)
#define hep_rng_store(p, a) \
    _mm_storeu_si128((__m128i *)(void *)(p), \
                     _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(a, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6))))
#endif

/* How many draw groups one hep_rng_philox call computes. Each group's 8
 * Philox instances are a dependency chain of 10 multiply rounds, so the
 * call keeps several in flight while each waits on its products. With
 * AVX-512 (32 registers) 8 groups drew 0.170 ns per element on one Zen 4
 * core against 0.237 for 2 (4: 0.207); AVX2's 16 registers were best with 2
 * (0.283 ns; 1: 0.309, 4: 0.290). */
#if defined(__AVX512F__)
#define HEP_RNG_GROUPS 8
#else
#define HEP_RNG_GROUPS 2
#endif

/* A buffer of Philox output, out[word][lane], holds 8 groups (8 lanes
 * each), and 8 spare lanes so that an odd last group can be drawn as a pair. */
enum { HEP_RNG_OUT_GROUPS = 8, HEP_RNG_OUT_LANES = 8 * HEP_RNG_OUT_GROUPS + 8 };

/* Philox4x32-10 (as Random123's philox4x32) for the 8 counters of each of
 * n groups, group[g] in lanes lane0 + 8g .. lane0 + 8g + 7 of out. n is 2 or
 * HEP_RNG_GROUPS, a literal at every call so that the vector loops unroll
 * and the words stay in registers. (A scalar Philox call per 8 elements
 * made dropout cost more than the first layer's convolution.) */
static inline void hep_rng_philox(uint64_t seed, uint64_t step, uint32_t layer, const uint64_t *group, int n,
                                  uint32_t out[4][HEP_RNG_OUT_LANES], int lane0)
{
    const uint32_t key0 = (uint32_t)seed, key1 = (uint32_t)(seed >> 32);
    const uint32_t ctr2 = (uint32_t)step, ctr3 = layer ^ ((uint32_t)(step >> 32) << 8);
#ifdef HEP_RNG_LANES
    enum { VMAX = 8 * HEP_RNG_GROUPS / HEP_RNG_LANES };
    const int V = 8 * n / HEP_RNG_LANES;
    const hep_rng_vec m0 = hep_rng_set1(HEP_PHILOX_M0), m1 = hep_rng_set1(HEP_PHILOX_M1);
    hep_rng_vec c0[VMAX], c1[VMAX], c2[VMAX], c3[VMAX];
    for (int v = 0; v < V; v++) {
        const int lane = v * HEP_RNG_LANES;
        c0[v] = hep_rng_add(hep_rng_set1(group[lane / 8] * 8 + (uint64_t)(lane % 8)), hep_rng_iota());
        c1[v] = hep_rng_hi(c0[v]);
        c2[v] = hep_rng_set1(ctr2);
        c3[v] = hep_rng_set1(ctr3);
    }
#pragma GCC unroll 10
    for (int r = 0; r < 10; r++) {
        const hep_rng_vec k0 = hep_rng_set1((uint32_t)(key0 + (uint32_t)r * HEP_PHILOX_W0));
        const hep_rng_vec k1 = hep_rng_set1((uint32_t)(key1 + (uint32_t)r * HEP_PHILOX_W1));
        for (int v = 0; v < V; v++) {
            hep_rng_vec p0 = hep_rng_mul(c0[v], m0), p1 = hep_rng_mul(c2[v], m1);
            c0[v] = hep_rng_xor3(hep_rng_hi(p1), c1[v], k0);
            c1[v] = p1;
            c2[v] = hep_rng_xor3(hep_rng_hi(p0), c3[v], k1);
            c3[v] = p0;
        }
    }
    for (int v = 0; v < V; v++) {
        hep_rng_store(&out[0][lane0 + v * HEP_RNG_LANES], c0[v]);
        hep_rng_store(&out[1][lane0 + v * HEP_RNG_LANES], c1[v]);
        hep_rng_store(&out[2][lane0 + v * HEP_RNG_LANES], c2[v]);
        hep_rng_store(&out[3][lane0 + v * HEP_RNG_LANES], c3[v]);
    }
#else
#pragma omp simd
    for (int l = 0; l < 8 * n; l++) {
        uint64_t i = group[l / 8] * 8 + (uint64_t)(l % 8);
        uint32_t c0 = (uint32_t)i, c1 = (uint32_t)(i >> 32), c2 = ctr2, c3 = ctr3, k0 = key0, k1 = key1;
        for (int r = 0; r < 10; r++) {
            uint64_t p0 = (uint64_t)HEP_PHILOX_M0 * c0, p1 = (uint64_t)HEP_PHILOX_M1 * c2;
            c0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
            c1 = (uint32_t)p1;
            c2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
            c3 = (uint32_t)p0;
            k0 += HEP_PHILOX_W0;
            k1 += HEP_PHILOX_W1;
        }
        out[0][lane0 + l] = c0; out[1][lane0 + l] = c1; out[2][lane0 + l] = c2; out[3][lane0 + l] = c3;
    }
#endif
}

static inline uint32_t hep_keep_threshold(float keep_prob)
{
    if (keep_prob >= 1.0f) return 65536u;
    if (keep_prob <= 0.0f) return 0u;
    return (uint32_t)(keep_prob * 65536.0f + 0.5f);
}

/* The draw bits an element needs for threshold T (0 < T < 65536): T's
 * significant bits (16 less its trailing zero bits), rounded up to a power
 * of two so that a word holds whole draws. */
static inline int hep_draw_bits(uint32_t threshold)
{
    int need = 16;
    while (need > 1 && !(threshold & (1u << (16 - need)))) need--;
    return need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : need <= 8 ? 8 : 16;
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
