/* The elementwise ends of the generated layers: bias, ReLU, 2x2 max-pool and
 * dropout applied to a GEMM output tile while it is still in cache (forward),
 * and their gradients (backward). The generated code calls these with
 * literal shapes, so after inlining each call is specialised to its layer.
 *
 * Layouts: a tile row is [W][B] (pixels, then B channels of one block).
 * Pool mask: 4 bits per pooled element, as 4 bit planes per 16 channels
 * (HEP_MASK_BYTE): of a pixel's channels 16g .. 16g + 15, the 8 bytes from
 * 8g hold four 16-bit little-endian words, bit r of word f standing for
 * channel 16g + r: word 0 set when the window's maximum lies in its right
 * column, word 1 in its bottom row (so 0 top-left .. 3 bottom-right; the
 * first maximum wins, as in PyTorch), word 2 when the pooled value passed
 * the ReLU, word 3 when dropout kept it (always, without dropout). A
 * pixel's B channels (a multiple of 16) take B / 2 bytes. Planes, not
 * half-bytes, because AVX-512 mask registers and AVX2 movemasks give a
 * comparison's 16 or 8 bits as they are: the training forward stores them
 * as words, the backward loads them back as masks. The bits were there
 * anyway, so the pooled layers' backward reads the dropout
 * decision instead of running Philox again. */
#ifndef HEP_EPILOGUE_H
#define HEP_EPILOGUE_H

#include <stdint.h>
#include <string.h>
#include "rng.h"
#include "stream.h"

/* The mask's planes, the words of a group of 16 channels. */
enum { HEP_MASK_RIGHT, HEP_MASK_LOWER, HEP_MASK_PASS, HEP_MASK_KEPT };
/* Channel j's bit of plane f: in byte HEP_MASK_BYTE(j, f), bit j % 8. */
#define HEP_MASK_BYTE(j, f) (((j) / 16) * 8 + 2 * (f) + (j) % 16 / 8)

/* A group's 8 mask bytes from its four planes (the low 16 bits of each). */
static inline void hep_mask_store(uint8_t *mk, unsigned right, unsigned lower, unsigned pass, unsigned kept)
{
    const uint64_t w = (uint64_t)(right & 0xFFFFu) | (uint64_t)(lower & 0xFFFFu) << 16
                       | (uint64_t)(pass & 0xFFFFu) << 32 | (uint64_t)(kept & 0xFFFFu) << 48;
    memcpy(mk, &w, 8);   /* x86: little-endian, as the format */
}

/* Plane f's word of the group whose mask bytes start at mk. */
static inline unsigned hep_mask_plane(const uint8_t *mk, int f)
{
    return mk[2 * f] | (unsigned)mk[2 * f + 1] << 8;
}

/* Dropout of one layer in one pass; threshold 0 never happens for an active
 * dropout (keep_prob > 0 is checked at start-up). An element's draw has
 * `bits` bits (rng.h: the fewest that decide it exactly). */
typedef struct {
    int active;
    uint32_t threshold;    /* keep when a 16-bit draw < threshold */
    int bits;              /* hep_draw_bits(threshold) */
    uint32_t cut;          /* keep when a draw of `bits` bits < cut */
    float scale;           /* 1 / keep_prob */
    uint64_t seed, step;
    uint32_t layer;        /* dropout stream, 1-based in network order */
} hep_dropout;

static inline hep_dropout hep_dropout_make(int active, float keep_prob, uint64_t seed, uint64_t step,
                                           uint32_t layer)
{
    hep_dropout d = { .active = 0, .threshold = 65536u, .bits = 16, .cut = 65536u, .scale = 1.0f,
                      .seed = seed, .step = step, .layer = layer };
    if (active && keep_prob < 1.0f) {
        d.active = 1;
        d.threshold = hep_keep_threshold(keep_prob);
        d.bits = hep_draw_bits(d.threshold);
        d.cut = d.threshold >> (16 - d.bits);
        d.scale = hep_keep_scale(d.threshold);
    }
    return d;
}

/* Philox output for n draw groups (1 .. HEP_RNG_OUT_GROUPS), group h in
 * lanes 8h .. 8h + 7 of `words`: HEP_RNG_GROUPS at a time, the rest in
 * pairs, so that hep_rng_philox always gets a literal count. */
static inline void hep_dropout_words(const hep_dropout *d, const uint64_t *group, int n,
                                     uint32_t words[4][HEP_RNG_OUT_LANES])
{
    int h = 0;
    for (; h + HEP_RNG_GROUPS <= n; h += HEP_RNG_GROUPS)
        hep_rng_philox(d->seed, d->step, d->layer, group + h, HEP_RNG_GROUPS, words, 8 * h);
    for (; h < n; h += 2) {
        const uint64_t pair[2] = { group[h], group[h + 1 < n ? h + 1 : h] };   /* the spare lanes take a copy */
        hep_rng_philox(d->seed, d->step, d->layer, pair, 2, words, 8 * h);
    }
}

/* Multipliers (0 or 1/keep) for 16 elements from the 8 lanes w of one
 * word: lane l's draw at bit sh0 for element l, at sh0 + bits for element
 * 8 + l. Two 8-lane halves also with AVX-512: a 16-lane version (one
 * broadcast word, variable shifts, a mask register) drew 10% slower.
 * hep_dropout_keep16 gives the same decisions as 16 bits, bit l for
 * element l (the convolutions' form: hep_keep, below). */
#if defined(__AVX2__)
#include <immintrin.h>
static inline void hep_dropout_16(const uint32_t *w, unsigned sh0, unsigned bits, uint32_t low, uint32_t cut,
                                  float scale, float *f)
{
    /* draws are below 2^16, so the signed comparison is the unsigned one */
    const __m256i words = _mm256_loadu_si256((const __m256i *)(const void *)w);
    const __m256i mask = _mm256_set1_epi32((int)low), limit = _mm256_set1_epi32((int)cut);
    const __m256 value = _mm256_set1_ps(scale);
    const __m256i d0 = _mm256_and_si256(_mm256_srli_epi32(words, (int)sh0), mask);
    const __m256i d1 = _mm256_and_si256(_mm256_srli_epi32(words, (int)(sh0 + bits)), mask);
    _mm256_storeu_ps(f, _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(limit, d0)), value));
    _mm256_storeu_ps(f + 8, _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(limit, d1)), value));
}

static inline uint16_t hep_dropout_keep16(const uint32_t *w, unsigned sh0, unsigned bits, uint32_t low, uint32_t cut)
{
    const __m256i words = _mm256_loadu_si256((const __m256i *)(const void *)w);
    if (bits == 1) {   /* keep 0.5, the only threshold of one bit: cut is 1, kept when the bit is 0 */
#if defined(__AVX512F__)
        const __m512i both = _mm512_broadcast_i64x4(words);   /* element l in lane l, 8 + l in lane 8 + l */
        const __m512i at = _mm512_inserti64x4(_mm512_set1_epi32((int)(1u << sh0)),
                                              _mm256_set1_epi32((int)(1u << (sh0 + 1))), 1);
        return (uint16_t)_mm512_testn_epi32_mask(both, at);
#else
        const int d0 = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(words, (int)(31 - sh0))));
        const int d1 = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(words, (int)(30 - sh0))));
        return (uint16_t)~(d0 | d1 << 8);
#endif
    }
    const __m256i mask = _mm256_set1_epi32((int)low), limit = _mm256_set1_epi32((int)cut);
    const __m256i d0 = _mm256_and_si256(_mm256_srli_epi32(words, (int)sh0), mask);
    const __m256i d1 = _mm256_and_si256(_mm256_srli_epi32(words, (int)(sh0 + bits)), mask);
#if defined(__AVX512VL__)
    return (uint16_t)(_mm256_cmplt_epi32_mask(d0, limit) | (unsigned)_mm256_cmplt_epi32_mask(d1, limit) << 8);
#else
    const int k0 = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(limit, d0)));
    const int k1 = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(limit, d1)));
    return (uint16_t)(k0 | k1 << 8);
#endif
}
#else
static inline void hep_dropout_16(const uint32_t *w, unsigned sh0, unsigned bits, uint32_t low, uint32_t cut,
                                  float scale, float *f)
{
    for (int l = 0; l < 8; l++) {
        f[l] = ((w[l] >> sh0) & low) < cut ? scale : 0.0f;
        f[8 + l] = ((w[l] >> (sh0 + bits)) & low) < cut ? scale : 0.0f;
    }
}

static inline uint16_t hep_dropout_keep16(const uint32_t *w, unsigned sh0, unsigned bits, uint32_t low, uint32_t cut)
{
    unsigned k = 0;
    for (int l = 0; l < 8; l++) {
        k |= (unsigned)(((w[l] >> sh0) & low) < cut) << l;
        k |= (unsigned)(((w[l] >> (sh0 + bits)) & low) < cut) << (8 + l);
    }
    return (uint16_t)k;
}
#endif

/* Multipliers for elements first .. first+count-1 of the group in lanes
 * 8h .. 8h+7 of `words`, into dst. Elements go 16 at a time: two rows of
 * 8 lanes whose draws lie in one word (rng.h's layout). `bits` is a literal
 * at each call (hep_dropout_flush), so that each width gets its own loop:
 * with a run-time width the 16-bit draws took twice as long as before. */
static inline void hep_dropout_extract(const hep_dropout *d, const uint32_t words[4][HEP_RNG_OUT_LANES], int h,
                                       int first, int count, const unsigned bits, float *restrict dst)
{
    const uint32_t low = (1u << bits) - 1, cut = d->cut;
    const int end = first + count;
    /* Before the loop: UBSan's division check in its condition made GCC
     * ignore the unroll pragma (make test's sanitizer build). */
    const int group_chunks = 64 / (int)bits;
    if (first == 0 && count == 16 * group_chunks) {   /* a whole group: unrolled, constant offsets */
#pragma GCC unroll 64
        for (int c = 0; c < group_chunks; c++) {
            const unsigned bit = 2u * (unsigned)c * bits;
            hep_dropout_16(&words[bit >> 5][8 * h], bit & 31, bits, low, cut, d->scale, dst + 16 * c);
        }
        return;
    }
    int c = first / 16;   /* chunk c: elements 16c .. 16c + 15, draws from bit 2c * bits */
    if (16 * c < first || end - 16 * c < 16) {   /* a ragged head: through a buffer */
        float part[16];
        const unsigned bit = 2u * (unsigned)c * bits;
        const int hi = 16 * c + 16 < end ? 16 * c + 16 : end;
        hep_dropout_16(&words[bit >> 5][8 * h], bit & 31, bits, low, cut, d->scale, part);
        memcpy(dst, part + (first - 16 * c), sizeof(float) * (size_t)(hi - first));
        c++;
    }
    for (; 16 * c + 16 <= end; c++) {
        const unsigned bit = 2u * (unsigned)c * bits;
        hep_dropout_16(&words[bit >> 5][8 * h], bit & 31, bits, low, cut, d->scale, dst + (16 * c - first));
    }
    if (16 * c < end) {   /* a ragged tail */
        float part[16];
        const unsigned bit = 2u * (unsigned)c * bits;
        hep_dropout_16(&words[bit >> 5][8 * h], bit & 31, bits, low, cut, d->scale, part);
        memcpy(dst + (16 * c - first), part, sizeof(float) * (size_t)(end - 16 * c));
    }
}

#if defined(__AVX512BW__)
/* A whole group of one-bit draws (keep 0.5: kept when the bit is 0) as
 * kept bits, 64 elements at a time: elements 64k + 8a + l are bit a of
 * byte k % 4 of lane l's word k / 4, so one byte of each of the 8 lanes,
 * broadcast, tested bytewise against bit a in byte 8a + l, gives all 64.
 * A quarter of the instructions of hep_dropout_keep16's 16 at a time. */
static inline void hep_dropout_keep_group1(const uint32_t words[4][HEP_RNG_OUT_LANES], int h, uint16_t *restrict dst)
{
    /* per 128-bit half (4 lanes): dword k = byte k of each lane */
    const __m256i gather = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                            0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i bit_a = _mm512_set_epi64(0x8080808080808080ll, 0x4040404040404040ll, 0x2020202020202020ll,
                                           0x1010101010101010ll, 0x0808080808080808ll, 0x0404040404040404ll,
                                           0x0202020202020202ll, 0x0101010101010101ll);
#pragma GCC unroll 4
    for (int w = 0; w < 4; w++) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)&words[w][8 * h]);
        /* qword k: byte k of lanes 0-3, then of lanes 4-7 */
        const __m512i q = _mm512_castsi256_si512(_mm256_permutevar8x32_epi32(
            _mm256_shuffle_epi8(v, gather), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            const __m512i bytes = _mm512_permutexvar_epi64(_mm512_set1_epi64(k), q);
            _store_mask64((__mmask64 *)(void *)(dst + 16 * w + 4 * k), _mm512_testn_epi8_mask(bytes, bit_a));
        }
    }
}
#endif

/* The same decisions as kept bits, 16 elements a word: `first` and `count`
 * are multiples of 16 (hep_dropout_keep_runs sees to it), so there is no
 * ragged end. */
static inline void hep_dropout_extract_keep(const hep_dropout *d, const uint32_t words[4][HEP_RNG_OUT_LANES], int h,
                                            int first, int count, const unsigned bits, uint16_t *restrict dst)
{
    const uint32_t low = (1u << bits) - 1, cut = d->cut;
    const int group_chunks = 64 / (int)bits;   /* before the loop, as above */
#if defined(__AVX512BW__)
    if (bits == 1 && first == 0 && count == 16 * group_chunks) {
        hep_dropout_keep_group1(words, h, dst);
        return;
    }
#endif
    if (first == 0 && count == 16 * group_chunks) {
#pragma GCC unroll 64
        for (int c = 0; c < group_chunks; c++) {
            const unsigned bit = 2u * (unsigned)c * bits;
            dst[c] = hep_dropout_keep16(&words[bit >> 5][8 * h], bit & 31, bits, low, cut);
        }
        return;
    }
    for (int c = first / 16; c < (first + count) / 16; c++) {
        const unsigned bit = 2u * (unsigned)c * bits;
        dst[c - first / 16] = hep_dropout_keep16(&words[bit >> 5][8 * h], bit & 31, bits, low, cut);
    }
}

/* Runs of elements waiting for their groups' Philox output: up to
 * HEP_RNG_OUT_GROUPS groups, and the pieces (a run's elements inside one group)
 * that take decisions from them: multipliers into dst, or kept bits into
 * keep (then dst is NULL). */
enum { HEP_DROPOUT_PIECES = 64 };
typedef struct {
    int slot, first, count;
    float *dst;
    uint16_t *keep;
} hep_dropout_piece;

typedef struct {
    uint64_t group[HEP_RNG_OUT_GROUPS];
    int groups, pieces;
    hep_dropout_piece piece[HEP_DROPOUT_PIECES];
} hep_dropout_batch;

static inline void hep_dropout_flush(const hep_dropout *d, hep_dropout_batch *b)
{
    uint32_t words[4][HEP_RNG_OUT_LANES];
    hep_dropout_words(d, b->group, b->groups, words);
#define HEP_DROPOUT_EXTRACT(bits)                                                                             \
    for (int k = 0; k < b->pieces; k++) {                                                                     \
        const hep_dropout_piece *pc = &b->piece[k];                                                           \
        if (pc->dst) hep_dropout_extract(d, words, pc->slot, pc->first, pc->count, bits, pc->dst);            \
        else hep_dropout_extract_keep(d, words, pc->slot, pc->first, pc->count, bits, pc->keep);              \
    }
    switch (d->bits) {
    case 1: HEP_DROPOUT_EXTRACT(1); break;
    case 2: HEP_DROPOUT_EXTRACT(2); break;
    case 4: HEP_DROPOUT_EXTRACT(4); break;
    case 8: HEP_DROPOUT_EXTRACT(8); break;
    default: HEP_DROPOUT_EXTRACT(16); break;
    }
#undef HEP_DROPOUT_EXTRACT
    b->groups = b->pieces = 0;
}

/* Adds a piece of group g; consecutive pieces of one group (the pixels of
 * a row that share a group, say) share its Philox output. */
static inline void hep_dropout_add(const hep_dropout *d, hep_dropout_batch *b, uint64_t g, hep_dropout_piece piece)
{
    const int same = b->groups && b->group[b->groups - 1] == g;
    if ((!same && b->groups == HEP_RNG_OUT_GROUPS) || b->pieces == HEP_DROPOUT_PIECES) hep_dropout_flush(d, b);
    if (!b->groups || b->group[b->groups - 1] != g) b->group[b->groups++] = g;
    piece.slot = b->groups - 1;
    b->piece[b->pieces++] = piece;
}

/* A piece whose output starts at element `at` of the runs' output: f + at,
 * or (f NULL) word at / 16 of keep. */
static inline hep_dropout_piece hep_dropout_piece_at(int slot, int first, int count, float *f, uint16_t *keep,
                                                     size_t at)
{
    return (hep_dropout_piece){ slot, first, count, f ? f + at : NULL, f ? NULL : keep + at / 16 };
}

/* Decisions for `runs` runs of `count` elements, run r starting at element
 * index + r * stride: multipliers into f[r * count ..], or (f NULL) kept
 * bits into keep, element r * count + k at bit k % 16 of keep[(r * count +
 * k) / 16], where index, stride and count are multiples of 16. The groups
 * the runs touch are drawn up to HEP_RNG_OUT_GROUPS at a time. */
static inline void hep_dropout_runs_into(const hep_dropout *d, uint64_t index, int runs, uint64_t stride, int count,
                                         float *restrict f, uint16_t *restrict keep)
{
    const int shift = hep_draw_group_shift(d->bits);
    const uint64_t size = (uint64_t)1 << shift;
    if (stride == (uint64_t)count) {   /* back to back (all of a pixel's channels, say): one run */
        count *= runs;
        runs = 1;
    }
    hep_dropout_batch b;
    b.groups = b.pieces = 0;
    for (int r = 0; r < runs; r++) {
        uint64_t i = index + (uint64_t)r * stride, end = i + (uint64_t)count;
        size_t at = (size_t)r * count;   /* the run's first element in the output */
        while (i < end) {
            /* Whole groups (most of a long run) go straight through, 8 at a
             * time without a piece each: the bookkeeping per piece had made
             * 16-bit draws 15-20% slower than before on AVX-512 */
            if (!b.pieces && !(i & (size - 1)) && end - i >= HEP_RNG_OUT_GROUPS * size) {
                for (int h = 0; h < HEP_RNG_OUT_GROUPS; h++) {
                    b.group[h] = (i >> shift) + (uint64_t)h;
                    b.piece[h] = hep_dropout_piece_at(h, 0, (int)size, f, keep, at + (size_t)h * size);
                }
                b.groups = b.pieces = HEP_RNG_OUT_GROUPS;
                hep_dropout_flush(d, &b);
                at += HEP_RNG_OUT_GROUPS * size;
                i += HEP_RNG_OUT_GROUPS * size;
                continue;
            }
            const uint64_t first = i & (size - 1);
            const int n = (int)(end - i < size - first ? end - i : size - first);
            hep_dropout_add(d, &b, i >> shift, hep_dropout_piece_at(0, (int)first, n, f, keep, at));
            at += (size_t)n;
            i += (uint64_t)n;
        }
    }
    if (b.pieces) hep_dropout_flush(d, &b);
}

/* Multipliers for `runs` runs of `count` elements, run r starting at element
 * index + r * stride, into f[r * count ..]: runs may start and end
 * anywhere. The same draws as hep_dropout_factor1. */
static inline void hep_dropout_runs(const hep_dropout *d, uint64_t index, int runs, uint64_t stride, int count,
                                    float *restrict f)
{
    hep_dropout_runs_into(d, index, runs, stride, count, f, NULL);
}

/* Multipliers for elements index .. index+count-1 (any index and count). */
static inline void hep_dropout_factors(const hep_dropout *d, uint64_t index, int count, float *f)
{
    hep_dropout_runs(d, index, 1, 0, count, f);
}

static inline float hep_dropout_factor1(const hep_dropout *d, uint64_t index)
{
    return hep_rng_draw(d->seed, d->step, d->layer, index, d->bits) < d->cut ? d->scale : 0.0f;
}

/* Which elements of a conv's output row dropout keeps, as its epilogues
 * read them: pixel q's channel j is element e = q * stride + j, kept when
 * bit e % 16 of bits[e / 16] is set, and a kept value is multiplied by
 * scale. bits NULL: no dropout. Bits, not float multipliers: a row of
 * hep64's first conv has 4096 elements, 16 KiB of multipliers against 512
 * bytes of bits, and storing and reading the multipliers was most of that
 * layer's training forward beyond its inference (docs/DESIGN.md). */
typedef struct {
    const uint16_t *bits;
    int stride;
    float scale;
} hep_keep;

static inline hep_keep hep_keep_none(void) { return (hep_keep){ NULL, 0, 1.0f }; }

/* The same row from element `offset` on (a multiple of 16): a later channel
 * block, or a later pixel. */
static inline hep_keep hep_keep_from(hep_keep k, size_t offset)
{
    if (k.bits) k.bits += offset / 16;
    return k;
}

static inline int hep_kept(const uint16_t *bits, size_t e) { return bits[e / 16] >> (e % 16) & 1; }

/* Kept bits for hep_dropout_runs's runs, element r * count + k of the
 * output at bit (r * count + k) % 16 of keep[(r * count + k) / 16]. The
 * layers' runs start and end on multiples of 16 (channel blocks are), so
 * their bits come 16 draws at a time; other runs (a test's) element by
 * element. */
static inline void hep_dropout_keep_runs(const hep_dropout *d, uint64_t index, int runs, uint64_t stride, int count,
                                         uint16_t *restrict keep)
{
    if (index % 16 == 0 && stride % 16 == 0 && count % 16 == 0) {
        hep_dropout_runs_into(d, index, runs, stride, count, NULL, keep);
        return;
    }
    const size_t elements = (size_t)runs * (size_t)count;
    memset(keep, 0, sizeof(uint16_t) * ((elements + 15) / 16));
    for (size_t e = 0; e < elements; e++) {
        const uint64_t i = index + (uint64_t)(e / (size_t)count) * stride + e % (size_t)count;
        if (hep_dropout_factor1(d, i) != 0.0f) keep[e / 16] |= (uint16_t)(1u << (e % 16));
    }
}

/* The mask on AVX2: each comparison is a vector mask, 0 or -1 per 32-bit
 * lane; signed packs narrow two planes of 16 channels to bytes at once, a
 * permutation puts the 4-byte groups the packs leave back in channel
 * order, and vpmovmskb gives the two planes' words (pdep is microcode on
 * Zen 2, and GCC's own code for the plain C packs 32-bit lanes to bytes
 * the long way). Same values as the plain C. */
#if defined(__AVX2__) && !defined(__AVX512F__)
#include <immintrin.h>
#define HEP_POOL_MASK_AVX2 1
/* Four planes of 8 channels as vector masks. */
typedef struct {
    __m256 right, lower, pass, kept;
} hep_pool_lanes;

/* 8 channels: the outputs into o, the planes returned. The maxima by
 * vmaxps, which returns its second operand unless the first is greater:
 * the first maximum, as the comparisons record it. Dropout keeps channel
 * l (whose value is then times scale) when bit l of `kept` is set. */
static inline hep_pool_lanes hep_pool_window8(const float *restrict t00, const float *restrict t01,
                                              const float *restrict t10, const float *restrict t11,
                                              const float *restrict bias, int relu, unsigned kept, float scale,
                                              float *restrict o)
{
    const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256 v0 = _mm256_loadu_ps(t00), v1 = _mm256_loadu_ps(t01);
    const __m256 v2 = _mm256_loadu_ps(t10), v3 = _mm256_loadu_ps(t11), zero = _mm256_setzero_ps();
    const __m256 right_top = _mm256_cmp_ps(v1, v0, _CMP_GT_OQ), right_bottom = _mm256_cmp_ps(v3, v2, _CMP_GT_OQ);
    const __m256 top = _mm256_max_ps(v1, v0), bottom = _mm256_max_ps(v3, v2);
    hep_pool_lanes p;
    p.lower = _mm256_cmp_ps(bottom, top, _CMP_GT_OQ);
    const __m256 v = _mm256_add_ps(_mm256_max_ps(bottom, top), _mm256_loadu_ps(bias));
    p.pass = relu ? _mm256_cmp_ps(v, zero, _CMP_GT_OQ) : _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    const __m256i keep_lane = _mm256_and_si256(_mm256_set1_epi32((int)kept), lane_bit);
    p.kept = _mm256_castsi256_ps(_mm256_cmpeq_epi32(keep_lane, lane_bit));
    /* zeroed then multiplied by 0 or scale, as the plain loop: -0.0 stays */
    const __m256 factor = _mm256_and_ps(p.kept, _mm256_set1_ps(scale));
    _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_and_ps(v, p.pass), factor));
    p.right = _mm256_blendv_ps(right_top, right_bottom, p.lower);
    return p;
}

/* Planes a and b of channels 0-7 (a0, b0) and 8-15 (a1, b1): a's 16 bits,
 * then b's. The packs work within 128-bit halves; the permutation puts the
 * 4-byte groups they leave back in order. */
static inline unsigned hep_pool_planes2(__m256 a0, __m256 a1, __m256 b0, __m256 b1)
{
    const __m256i a = _mm256_packs_epi32(_mm256_castps_si256(a0), _mm256_castps_si256(a1));
    const __m256i b = _mm256_packs_epi32(_mm256_castps_si256(b0), _mm256_castps_si256(b1));
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return (unsigned)_mm256_movemask_epi8(bytes);
}

/* 16 channels, a whole group, into its 8 mask bytes. */
static inline void hep_pool_window16_avx2(const float *restrict t00, const float *restrict t01,
                                          const float *restrict t10, const float *restrict t11,
                                          const float *restrict bias, int relu, unsigned kept, float scale,
                                          float *restrict o, uint8_t *restrict mk)
{
    const hep_pool_lanes p = hep_pool_window8(t00, t01, t10, t11, bias, relu, kept & 0xFF, scale, o);
    const hep_pool_lanes q = hep_pool_window8(t00 + 8, t01 + 8, t10 + 8, t11 + 8, bias + 8, relu, kept >> 8 & 0xFF,
                                              scale, o + 8);
    const uint64_t w = hep_pool_planes2(p.right, q.right, p.lower, q.lower)
                       | (uint64_t)hep_pool_planes2(p.pass, q.pass, p.kept, q.kept) << 32;
    memcpy(mk, &w, 8);   /* x86: little-endian, as the format */
}

/* Backward of 8 channels of a pooled pixel: the group's right and lower
 * words (rl), and pass AND kept (flows), as broadcast 32-bit values; the
 * lanes' channels are those of bits `bit`. */
static inline void hep_pool_scatter8(const float *restrict g_in, __m256i rl, __m256i flows, __m256i bit, float scale,
                                     float *restrict dbias, float *restrict y00, float *restrict y01,
                                     float *restrict y10, float *restrict y11)
{
    const __m256i bit_lower = _mm256_slli_epi32(bit, 16);
#define HEP_SET(v, b) _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(v, b), b))
    const __m256 r = HEP_SET(rl, bit), l = HEP_SET(rl, bit_lower), f = HEP_SET(flows, bit);
#undef HEP_SET
    const __m256 g = _mm256_and_ps(_mm256_mul_ps(_mm256_loadu_ps(g_in), _mm256_set1_ps(scale)), f);
    _mm256_storeu_ps(dbias, _mm256_add_ps(_mm256_loadu_ps(dbias), g));
    const __m256 right_g = _mm256_and_ps(r, g), left_g = _mm256_andnot_ps(r, g);
    _mm256_storeu_ps(y00, _mm256_andnot_ps(l, left_g));
    _mm256_storeu_ps(y01, _mm256_andnot_ps(l, right_g));
    _mm256_storeu_ps(y10, _mm256_and_ps(l, left_g));
    _mm256_storeu_ps(y11, _mm256_and_ps(l, right_g));
}

/* Backward of a whole group of 16 channels (hep_epilogue_pool_backward;
 * lane0 is 0) from its mask bytes at mk, 8 lanes at a time (one Intel
 * core, a row in L1: 6.2 ns per pooled pixel of 32 channels; the
 * half-bytes, widened to lanes by one vpmovzxbd, took 5.4, and each
 * plane's byte broadcast per 8 lanes 8.9). */
#define HEP_POOL_SCATTER_LANES 16
static inline void hep_pool_scatter(const float *restrict g_in, const uint8_t *restrict mk, int lane0, float scale,
                                    float *restrict dbias, float *restrict y00, float *restrict y01,
                                    float *restrict y10, float *restrict y11)
{
    (void)lane0;
    uint32_t right_lower, pass_kept;   /* x86: little-endian, as the format */
    memcpy(&right_lower, mk, 4);
    memcpy(&pass_kept, mk + 4, 4);
    const __m256i rl = _mm256_set1_epi32((int)right_lower), pk = _mm256_set1_epi32((int)pass_kept);
    const __m256i flows = _mm256_and_si256(pk, _mm256_srli_epi32(pk, 16));
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    hep_pool_scatter8(g_in, rl, flows, bit, scale, dbias, y00, y01, y10, y11);
    hep_pool_scatter8(g_in + 8, rl, flows, _mm256_slli_epi32(bit, 8), scale, dbias + 8, y00 + 8, y01 + 8, y10 + 8,
                      y11 + 8);
}
#endif

/* The same for 16 lanes with AVX-512F: each comparison is a mask register,
 * its plane's word as it is, and the backward loads the words back as
 * masks. With half-byte masks before (each bit added to a 32-bit lane,
 * then vpmovdb), hep64's first conv's training forward took 1.20-1.26
 * times its inference on an Intel host (family 6 model 207, 2 threads).
 * Same values as the plain C. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define HEP_POOL_MASK_AVX512F 1
static inline void hep_pool_window16(const float *restrict t00, const float *restrict t01,
                                     const float *restrict t10, const float *restrict t11,
                                     const float *restrict bias, int relu, __mmask16 kept, float scale,
                                     float *restrict o, uint8_t *restrict mk)
{
    const __m512 v0 = _mm512_loadu_ps(t00), v1 = _mm512_loadu_ps(t01);
    const __m512 v2 = _mm512_loadu_ps(t10), v3 = _mm512_loadu_ps(t11);
    const __mmask16 right_top = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ);
    const __mmask16 right_bottom = _mm512_cmp_ps_mask(v3, v2, _CMP_GT_OQ);
    const __m512 top = _mm512_mask_blend_ps(right_top, v0, v1), bottom = _mm512_mask_blend_ps(right_bottom, v2, v3);
    const __mmask16 lower = _mm512_cmp_ps_mask(bottom, top, _CMP_GT_OQ);
    const __m512 v = _mm512_add_ps(_mm512_mask_blend_ps(lower, top, bottom), _mm512_loadu_ps(bias));
    const __mmask16 pass = relu ? _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ) : (__mmask16)0xFFFF;
    /* zeroed then multiplied by 0 or scale, as the plain loop: a dropped
     * negative value (no ReLU) gives -0.0 */
    const __m512 factor = _mm512_maskz_mov_ps(kept, _mm512_set1_ps(scale));
    _mm512_storeu_ps(o, _mm512_mul_ps(_mm512_maskz_mov_ps(pass, v), factor));
    const __mmask16 right = (__mmask16)((right_top & ~lower) | (right_bottom & lower));
#if defined(__AVX512BW__)
    /* the four words joined in mask registers, one 8-byte store */
    _store_mask64((__mmask64 *)(void *)mk,
                  _mm512_kunpackd(_mm512_kunpackw(kept, pass), _mm512_kunpackw(lower, right)));
#else
    hep_mask_store(mk, right, lower, pass, kept);
#endif
}

/* Backward of a whole group of 16 channels (lane0 is 0): its planes
 * loaded as masks. */
#define HEP_POOL_SCATTER_LANES 16
static inline void hep_pool_scatter(const float *restrict g_in, const uint8_t *restrict mk, int lane0, float scale,
                                    float *restrict dbias, float *restrict y00, float *restrict y01,
                                    float *restrict y10, float *restrict y11)
{
    (void)lane0;
    const unsigned right = hep_mask_plane(mk, HEP_MASK_RIGHT), lower = hep_mask_plane(mk, HEP_MASK_LOWER);
    const __mmask16 flows = (__mmask16)(hep_mask_plane(mk, HEP_MASK_PASS) & hep_mask_plane(mk, HEP_MASK_KEPT));
    const __m512 g = _mm512_maskz_mul_ps(flows, _mm512_loadu_ps(g_in), _mm512_set1_ps(scale));
    _mm512_storeu_ps(dbias, _mm512_add_ps(_mm512_loadu_ps(dbias), g));
    _mm512_storeu_ps(y00, _mm512_maskz_mov_ps((__mmask16)(~right & ~lower), g));
    _mm512_storeu_ps(y01, _mm512_maskz_mov_ps((__mmask16)(right & ~lower), g));
    _mm512_storeu_ps(y10, _mm512_maskz_mov_ps((__mmask16)(~right & lower), g));
    _mm512_storeu_ps(y11, _mm512_maskz_mov_ps((__mmask16)(right & lower), g));
}
#endif

/* hep_epilogue_pool_pixel in plain C, with `dropout` and `with_mask`
 * literals at each call: inference's copy neither multiplies nor reads
 * bits. With a mask, B is a multiple of 16 (the mask's groups). Branch-free so that it vectorises; pairwise maxima give the same
 * first-maximum argmax as scanning the window in order. */
static inline void hep_pool_plain(const float *restrict t00, const float *restrict t01, const float *restrict t10,
                                  const float *restrict t11, int B, const float *restrict bias, int relu,
                                  const uint16_t *restrict keep, size_t e0, float scale, float *restrict o,
                                  uint8_t *restrict mk, int dropout, int with_mask)
{
    uint8_t bits[B];   /* right | lower << 1 | pass << 2 | kept << 3 */
#pragma omp simd
    for (int j = 0; j < B; j++) {
        float v0 = t00[j], v1 = t01[j], v2 = t10[j], v3 = t11[j];
        float top = v1 > v0 ? v1 : v0, bottom = v3 > v2 ? v3 : v2;
        int lower = bottom > top;
        int right = lower ? v3 > v2 : v1 > v0;
        float v = (lower ? bottom : top) + bias[j];
        int pass = (v > 0.0f) | !relu;
        v = pass ? v : 0.0f;
        const int kept = dropout ? hep_kept(keep, e0 + (size_t)j) : 1;
        o[j] = dropout ? v * (kept ? scale : 0.0f) : v;
        if (with_mask) bits[j] = (uint8_t)(right | lower << 1 | pass << 2 | kept << 3);
    }
    if (with_mask)
        for (int j = 0; j < B; j += 16) {
            unsigned plane[4] = { 0, 0, 0, 0 };
            for (int r = 0; r < 16; r++)
                for (int f = 0; f < 4; f++) plane[f] |= (unsigned)(bits[j + r] >> f & 1) << r;
            hep_mask_store(mk + j / 2, plane[HEP_MASK_RIGHT], plane[HEP_MASK_LOWER], plane[HEP_MASK_PASS],
                           plane[HEP_MASK_KEPT]);
        }
}

/* One pooled pixel's B channels from its 2x2 window t00 t01 / t10 t11:
 * bias, optional ReLU, dropout into o (channel j kept when bit e0 + j of
 * the bitset keep is set, then times scale; keep NULL: no dropout); the
 * mask bytes into mk when with_mask (a literal at each call, so that
 * inference's copy has no mask arithmetic at all: it was 2 ms of hep224's
 * first conv). The vector code needs whole words of kept bits: e0 and B
 * multiples of 16, as every conv's are. */
static inline void hep_epilogue_pool_pixel(const float *restrict t00, const float *restrict t01,
                                           const float *restrict t10, const float *restrict t11, int B,
                                           const float *restrict bias, int relu, const uint16_t *restrict keep,
                                           size_t e0, float scale, float *restrict o, uint8_t *restrict mk,
                                           int with_mask)
{
    const uint16_t *restrict kw = keep ? keep + e0 / 16 : NULL;   /* this pixel's words, when aligned */
    (void)kw;
#ifdef HEP_POOL_MASK_AVX512F
    if (with_mask && B % 16 == 0 && e0 % 16 == 0) {
        for (int j = 0; j < B; j += 16)
            hep_pool_window16(t00 + j, t01 + j, t10 + j, t11 + j, bias + j, relu,
                              kw ? (__mmask16)kw[j / 16] : (__mmask16)0xFFFF, scale, o + j, mk + j / 2);
        return;
    }
#endif
#ifdef HEP_POOL_MASK_AVX2
    if (with_mask && B % 16 == 0 && e0 % 16 == 0) {
        for (int j = 0; j < B; j += 16)
            hep_pool_window16_avx2(t00 + j, t01 + j, t10 + j, t11 + j, bias + j, relu, kw ? kw[j / 16] : 0xFFFFu,
                                   scale, o + j, mk + j / 2);
        return;
    }
#endif
    if (keep) hep_pool_plain(t00, t01, t10, t11, B, bias, relu, keep, e0, scale, o, mk, 1, with_mask);
    else hep_pool_plain(t00, t01, t10, t11, B, bias, relu, NULL, 0, 1.0f, o, mk, 0, with_mask);
}

/* Forward: two conv rows tile[2][W][B] -> one pooled row out[W/2][B] with
 * bias, optional ReLU and dropout (pooled pixel q's channels from element
 * q * keep.stride of the row's kept bits); records the mask unless `mask`
 * is NULL (inference: only backward reads it). */
static inline void hep_epilogue_pool(const float *restrict tile, int W, int B,
                                     const float *restrict bias, int relu,
                                     float *restrict out, uint8_t *restrict mask, hep_keep keep, int stream)
{
    float pooled[B];
    /* a streamed row's mask is streamed once the row is done: a pixel's
     * B / 2 bytes, read back right after their 8-byte stores, would wait
     * for those to leave the store buffer */
    uint8_t row_mask[W / 2 * B / 2];
    for (int q = 0; q < W / 2; q++) {
        const float *restrict t00 = tile + (2 * q) * B, *restrict t01 = t00 + B;
        const float *restrict t10 = tile + (W + 2 * q) * B, *restrict t11 = t10 + B;
        const size_t e0 = (size_t)q * (size_t)keep.stride;
        float *restrict o = stream ? pooled : out + q * B;
        if (mask)
            hep_epilogue_pool_pixel(t00, t01, t10, t11, B, bias, relu, keep.bits, e0, keep.scale, o,
                                    (stream ? row_mask : mask) + q * B / 2, 1);
        else
            hep_epilogue_pool_pixel(t00, t01, t10, t11, B, bias, relu, keep.bits, e0, keep.scale, o, NULL, 0);
        if (stream) hep_stream_floats(out + q * B, pooled, B);
    }
    if (stream && mask) hep_stream_bytes(mask, row_mask, W / 2 * B / 2);
}

/* Backward of hep_epilogue_pool for one pooled row: scatters the gradient of
 * the pooled output dout[W/2][B] into the two pre-pool rows dy0, dy1
 * ([W][B] each; every element written), and adds the bias gradient. The
 * dropout decisions come from the mask (B / 2 bytes a pixel, B a multiple
 * of 16); d gives the scale of kept values.
 * dout_next and mask_next, the next call's rows (or NULL), are prefetched
 * as this row goes: hep224's conv1 reads 8 MB of them per image, past the
 * caches, and the hardware prefetchers left the loop waiting on memory
 * (1.2-1.6 ms an image alone on a Zen 5 core, 0.5-0.7 with the next row
 * prefetched; 36 GB/s would read them in 0.22). */
static inline void hep_epilogue_pool_backward(const float *restrict dout, const uint8_t *restrict mask,
                                              int W, int B, float *restrict dy0, float *restrict dy1,
                                              float *restrict dbias, const hep_dropout *d,
                                              const float *dout_next, const uint8_t *mask_next)
{
    const float scale = d->active ? d->scale : 1.0f;
    for (int q = 0; q < W / 2; q++) {
        if (dout_next) {   /* B floats and B / 2 mask bytes a pixel: a cache line is 16 floats */
            for (int j = 0; j < B; j += 16) __builtin_prefetch(dout_next + q * B + j);
            if (q * B / 2 % 64 == 0) __builtin_prefetch(mask_next + q * B / 2);
        }
        float *restrict y00 = dy0 + (2 * q) * B, *restrict y01 = y00 + B;
        float *restrict y10 = dy1 + (2 * q) * B, *restrict y11 = y10 + B;
        const float *restrict g_in = dout + q * B;
        const uint8_t *restrict mk = mask + q * B / 2;
#ifdef HEP_POOL_SCATTER_LANES
        if (B % HEP_POOL_SCATTER_LANES == 0) {
            for (int j = 0; j < B; j += HEP_POOL_SCATTER_LANES)
                hep_pool_scatter(g_in + j, mk + j / 16 * 8, j % 16, scale, dbias + j, y00 + j, y01 + j, y10 + j,
                                 y11 + j);
            continue;
        }
#endif
        for (int j0 = 0; j0 < B; j0 += 16)
#pragma omp simd
            for (int j = j0; j < j0 + 16; j++) {
#define HEP_BIT(f) (mk[HEP_MASK_BYTE(j, f)] >> j % 8 & 1)
                const int right = HEP_BIT(HEP_MASK_RIGHT), lower = HEP_BIT(HEP_MASK_LOWER);
                float g = g_in[j] * scale;
                g = (HEP_BIT(HEP_MASK_PASS) & HEP_BIT(HEP_MASK_KEPT)) ? g : 0.0f;
#undef HEP_BIT
                dbias[j] += g;
                y00[j] = !lower && !right ? g : 0.0f;
                y01[j] = !lower && right ? g : 0.0f;
                y10[j] = lower && !right ? g : 0.0f;
                y11[j] = lower && right ? g : 0.0f;
            }
    }
}

/* Forward without pooling: row[W][B] in place, bias, optional ReLU, dropout
 * (pixel w's channels from element w * keep.stride of the kept bits). */
static inline void hep_epilogue_row(float *restrict row, int W, int B, const float *restrict bias, int relu,
                                    hep_keep keep)
{
    for (int w = 0; w < W; w++)
        for (int j = 0; j < B; j++) {
            float v = row[w * B + j] + bias[j];
            if (relu && v < 0.0f) v = 0.0f;
            if (keep.bits) v *= hep_kept(keep.bits, (size_t)w * keep.stride + j) ? keep.scale : 0.0f;
            row[w * B + j] = v;
        }
}

/* Backward of hep_epilogue_row: out is the stored forward output (after
 * ReLU and dropout: a kept value is positive exactly when it passed the
 * ReLU, a dropped one gets no gradient either way); keep as in forward. */
static inline void hep_epilogue_row_backward(const float *restrict dout, const float *restrict out,
                                             int W, int B, int relu, float *restrict dy,
                                             float *restrict dbias, hep_keep keep)
{
    for (int w = 0; w < W; w++)
        for (int j = 0; j < B; j++) {
            float g = dout[w * B + j];
            if (relu && !(out[w * B + j] > 0.0f)) g = 0.0f;
            if (keep.bits) g *= hep_kept(keep.bits, (size_t)w * keep.stride + j) ? keep.scale : 0.0f;
            dbias[j] += g;
            dy[w * B + j] = g;
        }
}

#endif
