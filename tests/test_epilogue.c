/* The pooled epilogue (runtime/epilogue.h) against a scalar model of its
 * documented result: bias, optional ReLU, the first maximum of each 2x2
 * window, dropout (a kept value times the scale, a dropped one times 0, so
 * that a dropped negative value without ReLU is -0.0), and the mask (per
 * 16 channels four 16-bit little-endian planes, bit r of each for channel
 * r: the argmax's column, its row, the ReLU pass, dropout kept). Inputs
 * come from a few values, so that windows tie often and values land
 * exactly on zero; every output and mask byte must match bit for bit,
 * through whichever code the build's instruction set selects (the AVX2
 * build takes vector masks, every AVX-512 build mask registers; a block of
 * 12, without a mask, the plain loop; so does the build for plain x86-64,
 * with a mask too), with and without a mask (inference), with and without
 * dropout, its kept bits for one channel block or for the second of two
 * (a first conv's row, all blocks' bits together), stored plainly or
 * streamed. Then its
 * backward, over every mask byte: each pooled
 * gradient, scaled, only in its window's argmax position and only when
 * both the pass and the kept bit are set, and the bias gradient's sums,
 * bit for bit.
 * Exits 1 on any difference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <epilogue.h>

enum { W = 16, MAX_B = 64 };

/* Where bit f (0 the argmax's column, 1 its row, 2 pass, 3 kept) of
 * channel j lies in its pixel's bytes: byte mask_byte(j, f), bit j % 8. */
static int mask_byte(int j, int f) { return j / 16 * 8 + 2 * f + j % 16 / 8; }

/* Channel j's 4 bits (argmax | pass << 2 | kept << 3) from a pixel's mask. */
static int mask_bits(const uint8_t *mask, int j)
{
    int a = 0;
    for (int f = 0; f < 4; f++) a |= (mask[mask_byte(j, f)] >> j % 8 & 1) << f;
    return a;
}

/* The documented result for one row of pooled pixels; pixel q's channel
 * j is kept when bit q * stride + offset + j of `kept` is set (kept NULL:
 * no dropout). */
static void model_pool(const float *tile, int B, const float *bias, int relu, const uint16_t *kept, int stride,
                       int offset, float scale, float *out, uint8_t *mask)
{
    for (int q = 0; q < W / 2; q++)
        for (int j = 0; j < B; j++) {
            const float v[4] = { tile[(2 * q) * B + j], tile[(2 * q + 1) * B + j], tile[(W + 2 * q) * B + j],
                                 tile[(W + 2 * q + 1) * B + j] };
            int a = 0;   /* the window scanned in order: the first maximum wins */
            float best = v[0];
            for (int k = 1; k < 4; k++)
                if (v[k] > best) { best = v[k]; a = k; }
            float x = best + bias[j];
            int pass = !relu || x > 0.0f;
            if (!pass) x = 0.0f;
            const int e = q * stride + offset + j, keep = !kept || (kept[e / 16] >> (e % 16) & 1);
            out[q * B + j] = kept ? x * (keep ? scale : 0.0f) : x;
            const int bits = a | pass << 2 | keep << 3;
            for (int f = 0; f < 4; f++) {
                uint8_t *byte = &mask[q * B / 2 + mask_byte(j, f)];
                if (j % 8 == 0) *byte = 0;
                *byte |= (uint8_t)((bits >> f & 1) << j % 8);
            }
        }
}

static int same_bits(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

/* Dropout in a case: none, the kept bits of one channel block, or the
 * second block's of two (offset B into a row of stride 2B). */
enum { NO_DROPOUT, ONE_BLOCK, SECOND_OF_TWO, DROPOUT_KINDS };

/* One case; returns the number of mismatches (0 or more). */
static int check_case(int B, int relu, int stream, int with_mask, int dropout, unsigned seed)
{
    static const float values[] = { -1.0f, -0.5f, -0.0f, 0.0f, 0.25f, 0.5f, 1.0f };
    float tile[2 * W * MAX_B], bias[MAX_B];
    float got[W / 2 * MAX_B], want[W / 2 * MAX_B];
    uint8_t got_mask[W / 2 * MAX_B], want_mask[W / 2 * MAX_B];
    uint16_t kept[W / 2 * 2 * MAX_B / 16 + 1];
    srand(seed);
    for (int i = 0; i < 2 * W * B; i++) tile[i] = values[rand() % 7];
    for (int j = 0; j < B; j++) bias[j] = values[rand() % 7] * 0.5f;
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) kept[i] = (uint16_t)rand();
    const int stride = dropout == SECOND_OF_TWO ? 2 * B : B, offset = dropout == SECOND_OF_TWO ? B : 0;
    const float scale = 2.0f;
    const hep_keep keep = dropout == NO_DROPOUT ? hep_keep_none()
                                                : hep_keep_from((hep_keep){ kept, stride, scale }, (size_t)offset);
    memset(got_mask, 0xAA, sizeof got_mask);
    model_pool(tile, B, bias, relu, dropout == NO_DROPOUT ? NULL : kept, stride, offset, scale, want, want_mask);
    hep_epilogue_pool(tile, W, B, bias, relu, got, with_mask ? got_mask : NULL, keep, stream);
    hep_streaming_stores_done();
    int bad = !same_bits(got, want, sizeof(float) * (W / 2) * B);
    if (with_mask) bad += !same_bits(got_mask, want_mask, (size_t)(W / 2) * B / 2);
    else
        for (int i = 0; i < W / 2 * B; i++) bad += got_mask[i] != 0xAA;   /* inference writes no mask */
    if (with_mask)   /* nor beyond its B / 2 bytes a pixel */
        for (int i = W / 2 * B / 2; i < W / 2 * B; i++) bad += got_mask[i] != 0xAA;
    if (bad)
        printf("FAIL: B %d, relu %d, stream %d, mask %d, dropout %d, seed %u\n", B, relu, stream, with_mask, dropout,
               seed);
    return bad;
}

/* The backward's documented result for one pooled row of B channels. */
static void model_pool_backward(const float *dout, const uint8_t *mask, int B, float scale, float *dy0,
                                float *dy1, float *dbias)
{
    for (int q = 0; q < W / 2; q++)
        for (int j = 0; j < B; j++) {
            const int a = mask_bits(mask + q * B / 2, j);
            const float g = (a & 12) == 12 ? dout[q * B + j] * scale : 0.0f;
            float *at[4] = { dy0 + (2 * q) * B + j, dy0 + (2 * q + 1) * B + j, dy1 + (2 * q) * B + j,
                             dy1 + (2 * q + 1) * B + j };
            for (int k = 0; k < 4; k++) *at[k] = (a & 3) == k ? g : 0.0f;
            dbias[j] += g;
        }
}

/* Three rows of one case into the same bias gradient (its sums carry over
 * from row to row); returns 1 on a mismatch. */
static int check_backward_case(int B, int dropout, unsigned seed)
{
    static const float values[] = { -1.5f, -0.0f, 0.0f, 0.375f, 3.0f, 1e-3f };
    float dout[W / 2 * MAX_B], got0[W * MAX_B], got1[W * MAX_B], want0[W * MAX_B], want1[W * MAX_B];
    float got_bias[MAX_B] = { 0 }, want_bias[MAX_B] = { 0 };
    uint8_t mask[W / 2 * MAX_B];
    const hep_dropout drop = hep_dropout_make(dropout, 0.7f, 5, 9, 2);
    int bad = 0;
    srand(seed);
    for (int row = 0; row < 3; row++) {
        for (int i = 0; i < W / 2 * B; i++) dout[i] = values[rand() % 6];
        for (int i = 0; i < W / 2 * B / 2; i++) mask[i] = (uint8_t)(rand() % 256);
        memset(got0, 0xAA, sizeof got0), memset(got1, 0xAA, sizeof got1);   /* every element must be written */
        model_pool_backward(dout, mask, B, dropout ? drop.scale : 1.0f, want0, want1, want_bias);
        /* a next row to prefetch in two rows of three (any readable rows do:
         * prefetching must not change a bit) */
        hep_epilogue_pool_backward(dout, mask, W, B, got0, got1, got_bias, &drop, row < 2 ? dout : NULL,
                                   row < 2 ? mask : NULL);
        bad |= !same_bits(got0, want0, sizeof(float) * W * B) || !same_bits(got1, want1, sizeof(float) * W * B);
    }
    bad |= !same_bits(got_bias, want_bias, sizeof(float) * B);
    if (bad) printf("FAIL: backward, B %d, dropout %d, seed %u\n", B, dropout, seed);
    return bad;
}

int main(void)
{
    static const int blocks[] = { 64, 32, 16, 12 };   /* 12: not a whole vector, the plain loop (inference) */
    int failed = 0, cases = 0;
    for (int b = 0; b < 4; b++)
        for (int relu = 0; relu < 2; relu++)
            for (int stream = 0; stream < 2; stream++)
                for (int with_mask = 0; with_mask < 2; with_mask++)
                    for (int dropout = 0; dropout < DROPOUT_KINDS; dropout++) {
                        /* hep_keep_from moves by whole words of bits; masks
                         * take groups of 16 channels */
                        if ((dropout == SECOND_OF_TWO || with_mask) && blocks[b] % 16) continue;
                        for (unsigned seed = 1; seed <= 25; seed++, cases++)
                            failed += check_case(blocks[b], relu, stream, with_mask, dropout, seed) != 0;
                    }
    printf("pooled epilogue: %d of %d cases match the documented result bit for bit\n", cases - failed, cases);
    int back_failed = 0, back_cases = 0;
    for (int b = 0; b < 3; b++)   /* blocks of 16 channels: the mask's groups */
        for (int dropout = 0; dropout < 2; dropout++)
            for (unsigned seed = 1; seed <= 25; seed++, back_cases++)
                back_failed += check_backward_case(blocks[b], dropout, seed);
    printf("pooled backward: %d of %d cases match the documented result bit for bit\n", back_cases - back_failed,
           back_cases);
    return failed || back_failed ? 1 : 0;
}
