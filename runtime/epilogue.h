/* The elementwise ends of the generated layers: bias, ReLU, 2x2 max-pool and
 * dropout applied to a GEMM output tile while it is still in cache (forward),
 * and their gradients (backward). The generated code calls these with
 * literal shapes, so after inlining each call is specialised to its layer.
 *
 * Layouts: a tile row is [W][B] (pixels, then B channels of one block).
 * Pool mask byte: bits 0-1 the argmax in the 2x2 window (0 top-left,
 * 1 top-right, 2 bottom-left, 3 bottom-right; first maximum wins, as in
 * PyTorch), bit 2 set when the pooled value passed the ReLU. */
#ifndef HEP_EPILOGUE_H
#define HEP_EPILOGUE_H

#include <stdint.h>
#include "rng.h"

/* Dropout of one layer in one pass; threshold 0 never happens for an active
 * dropout (keep_prob > 0 is checked at start-up). */
typedef struct {
    int active;
    uint32_t threshold;    /* keep when draw < threshold */
    float scale;           /* 1 / keep_prob */
    uint64_t seed, step;
    uint32_t layer;        /* dropout stream, 1-based in network order */
} hep_dropout;

static inline hep_dropout hep_dropout_make(int active, float keep_prob, uint64_t seed, uint64_t step,
                                           uint32_t layer)
{
    hep_dropout d = { 0, 65536u, 1.0f, seed, step, layer };
    if (active && keep_prob < 1.0f) {
        d.active = 1;
        d.threshold = hep_keep_threshold(keep_prob);
        d.scale = hep_keep_scale(d.threshold);
    }
    return d;
}

/* Multipliers (0 or 1/keep) for elements index .. index+count-1; index and
 * count are multiples of 8. */
static inline void hep_dropout_factors(const hep_dropout *d, uint64_t index, int count, float *f)
{
    for (int i = 0; i < count; i += 8) {
        uint16_t draw[8];
        hep_rng_draw8(d->seed, d->step, d->layer, (index + (uint64_t)i) >> 3, draw);
        for (int j = 0; j < 8; j++) f[i + j] = draw[j] < d->threshold ? d->scale : 0.0f;
    }
}

static inline float hep_dropout_factor1(const hep_dropout *d, uint64_t index)
{
    uint16_t draw[8];
    hep_rng_draw8(d->seed, d->step, d->layer, index >> 3, draw);
    return draw[index & 7] < d->threshold ? d->scale : 0.0f;
}

/* Forward: two conv rows tile[2][W][B] -> one pooled row out[W/2][B] with
 * bias, optional ReLU and dropout; records the mask. `index` is the logical
 * index of (this pooled row, column 0, channel 0 of this block); K the layer's
 * channel count (the logical stride between pixels). */
static inline void hep_epilogue_pool(const float *restrict tile, int W, int B,
                                     const float *restrict bias, int relu,
                                     float *restrict out, uint8_t *restrict mask,
                                     const hep_dropout *d, uint64_t index, int K)
{
    float factor[B];
    for (int q = 0; q < W / 2; q++) {
        const float *t00 = tile + (2 * q) * B, *t01 = t00 + B;
        const float *t10 = tile + (W + 2 * q) * B, *t11 = t10 + B;
        if (d->active) hep_dropout_factors(d, index + (uint64_t)q * K, B, factor);
        for (int j = 0; j < B; j++) {
            float v = t00[j];
            uint8_t a = 0;
            if (t01[j] > v) { v = t01[j]; a = 1; }
            if (t10[j] > v) { v = t10[j]; a = 2; }
            if (t11[j] > v) { v = t11[j]; a = 3; }
            v += bias[j];
            if (relu) {
                if (v > 0.0f) a |= 4; else v = 0.0f;
            } else {
                a |= 4;
            }
            if (d->active) v *= factor[j];
            mask[q * B + j] = a;
            out[q * B + j] = v;
        }
    }
}

/* Backward of hep_epilogue_pool for one pooled row: scatters the gradient of
 * the pooled output dout[W/2][B] into the two pre-pool rows dy0, dy1
 * ([W][B] each; every element written), and adds the bias gradient. */
static inline void hep_epilogue_pool_backward(const float *restrict dout, const uint8_t *restrict mask,
                                              int W, int B, float *restrict dy0, float *restrict dy1,
                                              float *restrict dbias, const hep_dropout *d,
                                              uint64_t index, int K)
{
    float factor[B];
    for (int q = 0; q < W / 2; q++) {
        if (d->active) hep_dropout_factors(d, index + (uint64_t)q * K, B, factor);
        for (int j = 0; j < B; j++) {
            uint8_t a = mask[q * B + j];
            float g = (a & 4) ? dout[q * B + j] : 0.0f;
            if (d->active) g *= factor[j];
            dbias[j] += g;
            a &= 3;
            dy0[(2 * q) * B + j] = a == 0 ? g : 0.0f;
            dy0[(2 * q + 1) * B + j] = a == 1 ? g : 0.0f;
            dy1[(2 * q) * B + j] = a == 2 ? g : 0.0f;
            dy1[(2 * q + 1) * B + j] = a == 3 ? g : 0.0f;
        }
    }
}

/* Forward without pooling: row[W][B] in place, bias, optional ReLU, dropout. */
static inline void hep_epilogue_row(float *restrict row, int W, int B, const float *restrict bias,
                                    int relu, const hep_dropout *d, uint64_t index, int K)
{
    float factor[B];
    for (int w = 0; w < W; w++) {
        if (d->active) hep_dropout_factors(d, index + (uint64_t)w * K, B, factor);
        for (int j = 0; j < B; j++) {
            float v = row[w * B + j] + bias[j];
            if (relu && v < 0.0f) v = 0.0f;
            if (d->active) v *= factor[j];
            row[w * B + j] = v;
        }
    }
}

/* Backward of hep_epilogue_row: out is the stored forward output (after
 * ReLU and dropout: a kept value is positive exactly when it passed the
 * ReLU, a dropped one gets no gradient either way). */
static inline void hep_epilogue_row_backward(const float *restrict dout, const float *restrict out,
                                             int W, int B, int relu, float *restrict dy,
                                             float *restrict dbias, const hep_dropout *d,
                                             uint64_t index, int K)
{
    float factor[B];
    for (int w = 0; w < W; w++) {
        if (d->active) hep_dropout_factors(d, index + (uint64_t)w * K, B, factor);
        for (int j = 0; j < B; j++) {
            float g = dout[w * B + j];
            if (relu && !(out[w * B + j] > 0.0f)) g = 0.0f;
            if (d->active) g *= factor[j];
            dbias[j] += g;
            dy[w * B + j] = g;
        }
    }
}

#endif
