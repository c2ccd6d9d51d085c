
/* Which elements of output row p of image n dropout keeps, for `blocks`
 * channel blocks from block kb: bits [OW][blocks * B / 16] (hep_keep);
 * none without dropout. */
static inline hep_keep $(L.name)_drop_keep(const hep_dropout *drop, const hep_pass *pass, int n, int kb, int blocks,
                                          int p, uint16_t *bits)
{
    enum { B = $(L.B), OH = $(L.OH), OW = $(L.OW), K = $(L.K) };
    if (!drop->active) return hep_keep_none();
    hep_dropout_keep_runs(drop, (((pass->first_sample + n) * OH + p) * OW) * K + kb * B, OW, K, blocks * B, bits);
    return (hep_keep){ bits, blocks * B, drop->scale };
}

/* Whole conv rows ROWS*p .. of image n, channel block kb, into dst [ROWS][W][B]. */
static inline void $(L.name)_conv_rows(const hep_model *m, const float *weight, int n, int kb, int p, float *dst)
{
    enum { W = $(L.W), B = $(L.B), WC = $(L.WC) };
    for (int w0 = 0; w0 < W; w0 += WC) $(L.name)_conv_chunk(m, weight, n, kb, p, w0, dst + w0 * B, W);
}

/* Output pixel q of row p, channel block kb, of image n (zero border
 * around the stored rows). */
static inline float *$(L.name)_out_at(hep_model *m, int n, int kb, int p, int q)
{
    enum { KB = $(L.KB), B = $(L.B), OH = $(L.OH), OW = $(L.OW), OUT_IMAGE = KB * (OH + 2) * (OW + 2) * B };
    return m->$(L.name)_out + (size_t)n * OUT_IMAGE + ((kb * (OH + 2) + p + 1) * (OW + 2) + 1 + q) * B;
}

/* Whether the batch's output is written with streaming stores (stream.h). */
static inline int $(L.name)_output_streams(const hep_model *m)
{
    enum { KB = $(L.KB), B = $(L.B), OH = $(L.OH), OW = $(L.OW), OUT_IMAGE = KB * (OH + 2) * (OW + 2) * B };
    return hep_output_streams(m->stream_bytes, m->batch, OUT_IMAGE);
}

/* The epilogue of one tile of $(L.name): `tile` [ROWS][width][B] holds conv rows
 * (pixels w0 .. w0+width-1) before it; adds `bias` (B channels)$(L.relu and ", ReLU" or "")$(L.pool and ", 2x2 max-pool (4 mask bits per pooled element)" or "")$(L.dropout and ", dropout" or ""),
 * and stores them into output row p. `keep`: which of the row's elements
 * dropout keeps, output pixel q's from element q * keep.stride.
@ if L.pool then
 * `training`: only a training pass stores the mask, which only backward
 * reads (inference skips the mask: 2 ms of hep224's first
 * conv). */
@ else
 * `training`: unused (no mask without a pool). */
@ end
static inline void $(L.name)_epilogue_with(hep_model *m, float *tile, int n, int kb, int p, int w0, int width,
                                           const float *bias, hep_keep keep, int training)
{
    enum { KB = $(L.KB), B = $(L.B), OH = $(L.OH), OW = $(L.OW), POOL = $(L.pool and 2 or 1) };
    const int q0 = w0 / POOL;   /* the tile's first output pixel */
    float *out_row = $(L.name)_out_at(m, n, kb, p, q0);
    const hep_keep k = hep_keep_from(keep, (size_t)q0 * keep.stride);
@ if L.pool then
    uint8_t *mask = training ? m->$(L.name)_mask + ((((size_t)n * KB + kb) * OH + p) * OW + q0) * B / 2 : NULL;
    if ($(L.name)_output_streams(m))
        hep_epilogue_pool(tile, width, B, bias, $(L.relu and 1 or 0), out_row, mask, k, 1);
    else
        hep_epilogue_pool(tile, width, B, bias, $(L.relu and 1 or 0), out_row, mask, k, 0);
@ else
    (void)training;
    memcpy(out_row, tile, sizeof(float) * width * B);
    hep_epilogue_row(out_row, width, B, bias, $(L.relu and 1 or 0), k);
@ end
}

/* The same for a whole row's tile [ROWS][W][B], drawing its own dropout
 * decisions. */
static inline void $(L.name)_epilogue(hep_model *m, float *tile, int n, int kb, int p, const float *bias,
                                      const hep_dropout *drop, const hep_pass *pass)
{
    enum { W = $(L.W), B = $(L.B), OW = $(L.OW) };
    uint16_t keep_bits[OW * B / 16];
    $(L.name)_epilogue_with(m, tile, n, kb, p, 0, W, bias, $(L.name)_drop_keep(drop, pass, n, kb, 1, p, keep_bits),
                            pass->training);
}

@ local chunked = not L.pool or L.WC % 2 == 0
/* Conv rows of image n, block kb for output row p, then the epilogue:
@ if chunked then
 * width chunk by width chunk, each ([ROWS][$(L.WC)][B]) still in L1 when the
 * epilogue reads it (a whole row's tile lives in L2; chunks made hep224's
 * first conv 5% faster). */
@ else
 * the whole row at once (a width chunk of $(L.WC) does not pool by itself). */
@ end
static inline void $(L.name)_conv_epilogue(hep_model *m, float *tile, const float *weight, int n, int kb, int p,
                                           const float *bias, hep_keep keep, int training)
{
    enum { W = $(L.W), WC = $(L.WC) };
@ if chunked then
    enum { B = $(L.B), POOL = $(L.pool and 2 or 1) };
    const int plain_stores = !$(L.name)_output_streams(m);
    for (int w0 = 0; w0 < W; w0 += WC) {
        /* A plain store first reads its line in: asked for before the
         * kernel, the chunk's output lines arrive while it computes
         * (hep64's first conv, whose output lines come from memory: its
         * forward about 10% faster, its inference 13%). */
        if (plain_stores) hep_prefetch_floats($(L.name)_out_at(m, n, kb, p, w0 / POOL), WC / POOL * B);
        $(L.name)_conv_chunk(m, weight, n, kb, p, w0, tile, WC);
        $(L.name)_epilogue_with(m, tile, n, kb, p, w0, WC, bias, keep, training);
    }
@ else
    $(L.name)_conv_rows(m, weight, n, kb, p, tile);
    $(L.name)_epilogue_with(m, tile, n, kb, p, 0, W, bias, keep, training);
@ end
}

@ if L.first then
/* Every output row: its dropout decisions for all $(L.K) channels at once
 * (whole draw groups), then per channel block the conv and the epilogue.
 * The first layer's weights are small enough to stay in cache across the
 * blocks. */
static void $(L.name)_forward_tiles(hep_model *m, int n_images, const float *weight, const float *bias,
                                    const hep_pass *pass)
{
    enum { KB = $(L.KB), B = $(L.B), K = $(L.K), OH = $(L.OH), OW = $(L.OW) };
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
#pragma omp parallel
    {
#pragma omp for collapse(2) schedule(static) nowait
        for (int n = 0; n < n_images; n++)
            for (int p = 0; p < OH; p++) {
                float *tile = m->thread[omp_get_thread_num()].tile;
                uint16_t keep_bits[OW * K / 16];
                const hep_keep keep = $(L.name)_drop_keep(&drop, pass, n, 0, KB, p, keep_bits);
                for (int kb = 0; kb < KB; kb++)
                    $(L.name)_conv_epilogue(m, tile, weight, n, kb, p, bias + kb * B, hep_keep_from(keep, (size_t)kb * B),
                                            pass->training);
            }
        hep_streaming_stores_done();   /* the epilogue's, before the region's closing barrier */
    }
}
@ elseif not L.wino_fwd then
/* Every tile: the conv, then the epilogue in cache. */
static void $(L.name)_forward_tiles(hep_model *m, int n_images, const float *weight, const float *bias,
                                    const hep_pass *pass)
{
    enum { KB = $(L.KB), B = $(L.B), OH = $(L.OH), OW = $(L.OW) };
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
#pragma omp parallel
    {
#pragma omp for collapse(3) schedule(static) nowait
        for (int n = 0; n < n_images; n++)
            for (int kb = 0; kb < KB; kb++)
                for (int p = 0; p < OH; p++) {
                    float *tile = m->thread[omp_get_thread_num()].tile;
                    uint16_t keep_bits[OW * B / 16];
                    $(L.name)_conv_epilogue(m, tile, weight, n, kb, p, bias + kb * B,
                                            $(L.name)_drop_keep(&drop, pass, n, kb, 1, p, keep_bits), pass->training);
                }
        hep_streaming_stores_done();   /* the epilogue's, before the region's closing barrier */
    }
}
@ end
@ if L.wino_fwd and not L.bn then
/* (forward: conv_winograd.c, below) */
@ elseif not L.bn then

static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    $(L.name)_forward_tiles(m, n_images, m->params + $(L.w_off), m->params + $(L.b_off), pass);
}
@ else

/* Batch norm $(L.bn.name) (momentum $(L.bn.momentum), eps $(L.bn.eps)). m->$(L.name)_bn rows: 0 scale
 * gamma/std, 1 shift beta - mean*scale, 2 batch mean, 3 1/std, 4..6 the
 * backward's coefficients (see $(L.name)_bn_backward_reduce). */
enum { $(L.name)_BN_SCALE = 0, $(L.name)_BN_SHIFT = 1, $(L.name)_BN_MEAN = 2, $(L.name)_BN_INVSTD = 3,
       $(L.name)_BN_DG = 4, $(L.name)_BN_DC = 5, $(L.name)_BN_DZ = 6 };

/* Inference: the running averages folded into the conv's weights and a bias. */
static void $(L.name)_bn_fold(hep_model *m)
{
    enum { K = $(L.K), KB = $(L.KB), B = $(L.B), WCOUNT = $(L.K * L.C * 9), PER_KB = WCOUNT / KB };
    const float *weight = m->params + $(L.w_off), *gamma = m->params + $(L.scale_off), *beta = m->params + $(L.shift_off);
    const float *mean = m->state + $(L.mean_off), *var = m->state + $(L.var_off);
    float *wfold = m->$(L.name)_wfold, *bfold = wfold + WCOUNT, *scale = m->$(L.name)_bn + $(L.name)_BN_SCALE * K;
    for (int k = 0; k < K; k++) {
        scale[k] = gamma[k] / sqrtf(var[k] + $(string.format("%.9gf", L.bn.eps)));
        bfold[k] = beta[k] - mean[k] * scale[k];
    }
#pragma omp parallel for schedule(static)
    for (int e = 0; e < WCOUNT; e++)   /* internal order: the output channel is (e / PER_KB) * B + e % B */
        wfold[e] = weight[e] * scale[(e / PER_KB) * B + e % B];
}

/* Training, pass 1 helper: the sums of output row p (conv rows ROWS p ..)
 * of image n's block kb, from the stored conv output. */
static inline void $(L.name)_bn_row_sums(hep_model *m, int n, int kb, int p)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), OH = $(L.OH), ROWS = $(L.pool and 2 or 1) };
    const float *z = m->$(L.name)_pre + (((size_t)n * KB + kb) * H + ROWS * p) * W * B;
    double sum[B], sumsq[B];
    for (int b = 0; b < B; b++) sum[b] = sumsq[b] = 0;
    for (int i = 0; i < ROWS * W; i++)
        for (int b = 0; b < B; b++) {
            double v = z[i * B + b];
            sum[b] += v;
            sumsq[b] += v * v;
        }
    double *s = m->$(L.name)_fsums + (((size_t)n * KB + kb) * OH + p) * 2 * B;
    memcpy(s, sum, sizeof sum);
    memcpy(s + B, sumsq, sizeof sumsq);
}

@ if L.wino_fwd then
/* Training, pass 1 (the conv output of the whole batch, and per output row
 * the sums the statistics need), and inference with the folded weights:
 * by Winograd, in conv_winograd.c. */
static void $(L.name)_bn_conv(hep_model *m, int n_images);
static void $(L.name)_forward_folded(hep_model *m, int n_images, const hep_pass *pass);
@ else
/* Training, pass 1: the conv output of the whole batch, and per output row
 * the sums the statistics need (double, summed in a fixed order below, so
 * the statistics do not depend on the thread count). */
static void $(L.name)_bn_conv(hep_model *m, int n_images)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), OH = $(L.OH), ROWS = $(L.pool and 2 or 1) };
    const float *weight = m->params + $(L.w_off);
#pragma omp parallel for collapse(3) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int kb = 0; kb < KB; kb++)
            for (int p = 0; p < OH; p++) {
                $(L.name)_conv_rows(m, weight, n, kb, p, m->$(L.name)_pre + (((size_t)n * KB + kb) * H + ROWS * p) * W * B);
                $(L.name)_bn_row_sums(m, n, kb, p);
            }
}

/* Inference: the conv with the running averages folded into its weights. */
static void $(L.name)_forward_folded(hep_model *m, int n_images, const hep_pass *pass)
{
    $(L.name)_forward_tiles(m, n_images, m->$(L.name)_wfold, m->$(L.name)_wfold + $(L.K * L.C * 9), pass);
}
@ end

/* Training, pass 2: batch statistics, the scale and shift they give, and the
 * running averages (PyTorch's rule: the unbiased variance). */
static void $(L.name)_bn_statistics(hep_model *m, int n_images)
{
    enum { K = $(L.K), KB = $(L.KB), B = $(L.B), OH = $(L.OH) };
    const double count = (double)n_images * $(L.H * L.W), momentum = $(string.format("%.9g", L.bn.momentum));
    const float *gamma = m->params + $(L.scale_off), *beta = m->params + $(L.shift_off);
    float *bn = m->$(L.name)_bn, *running_mean = m->state + $(L.mean_off), *running_var = m->state + $(L.var_off);
    for (int k = 0; k < K; k++) {
        double sum = 0, sumsq = 0;
        for (int n = 0; n < n_images; n++)
            for (int p = 0; p < OH; p++) {
                const double *s = m->$(L.name)_fsums + (((size_t)n * KB + k / B) * OH + p) * 2 * B;
                sum += s[k % B];
                sumsq += s[B + k % B];
            }
        double mean = sum / count, var = fmax(sumsq / count - mean * mean, 0.0);
        double invstd = 1.0 / sqrt(var + $(string.format("%.9g", L.bn.eps)));
        bn[$(L.name)_BN_SCALE * K + k] = (float)(gamma[k] * invstd);
        bn[$(L.name)_BN_SHIFT * K + k] = (float)(beta[k] - mean * gamma[k] * invstd);
        bn[$(L.name)_BN_MEAN * K + k] = (float)mean;
        bn[$(L.name)_BN_INVSTD * K + k] = (float)invstd;
        running_mean[k] = (float)((1 - momentum) * running_mean[k] + momentum * mean);
        running_var[k] = (float)((1 - momentum) * running_var[k] +
                                 momentum * var * (count > 1 ? count / (count - 1) : 1.0));
    }
}

/* Training, pass 3: normalise each stored tile, then the usual epilogue. */
static void $(L.name)_bn_epilogue(hep_model *m, int n_images, const hep_pass *pass)
{
    enum { K = $(L.K), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), OH = $(L.OH), ROWS = $(L.pool and 2 or 1) };
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    const float *scale = m->$(L.name)_bn + $(L.name)_BN_SCALE * K, *shift = m->$(L.name)_bn + $(L.name)_BN_SHIFT * K;
#pragma omp parallel
    {
#pragma omp for collapse(3) schedule(static) nowait
        for (int n = 0; n < n_images; n++)
            for (int kb = 0; kb < KB; kb++)
                for (int p = 0; p < OH; p++) {
                    const float *z = m->$(L.name)_pre + (((size_t)n * KB + kb) * H + ROWS * p) * W * B;
                    float *tile = m->thread[omp_get_thread_num()].tile;
                    for (int i = 0; i < ROWS * W; i++)
                        for (int b = 0; b < B; b++) tile[i * B + b] = z[i * B + b] * scale[kb * B + b];
                    $(L.name)_epilogue(m, tile, n, kb, p, shift + kb * B, &drop, pass);
                }
        hep_streaming_stores_done();   /* the epilogue's, before the region's closing barrier */
    }
}

static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    if (pass->training) {
        $(L.name)_bn_conv(m, n_images);
        $(L.name)_bn_statistics(m, n_images);
        $(L.name)_bn_epilogue(m, n_images, pass);
    } else {
        $(L.name)_bn_fold(m);
        $(L.name)_forward_folded(m, n_images, pass);
    }
}
@ end
