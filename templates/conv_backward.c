/* ---- $(L.name) backward, one image: epilogue, weights$(L.first and "" or ", data") ----
 * dout [$(L.KB)][$(L.OH + 2)][$(L.OW + 2)][$(L.B)]  gradient of this block's output
 * dy   [$(L.KB)][$(L.DYH)][$(L.W + 2)][$(L.B)]    pre-pool gradient, per thread$(L.first and ", one band of rows" or ", zero border")
@ if not L.first then
 * din  [$(L.CB)][$(L.H + 2)][$(L.W + 2)][$(L.B)]    gradient of this block's input
@ end
 * Weight and bias gradients accumulate into the thread's private copy. */
@ if not L.first then
static const unsigned long long $(L.name)_bwd_a_offs[$(L.KB * 9)] = {$(L.bwd_a_offs)};
static const unsigned long long $(L.name)_bwd_b_offs[$(L.KB * 9)] = {$(L.bwd_b_offs)};

/* Backward-data runs the forward kernel shape over the output gradient with
 * weights flipped in space and transposed in channels:
 * wt[cb][kb][r][s][k][c] = weight[kb][cb][2-r][2-s][c][k]. */
static void $(L.name)_prepare_backward(hep_model *m)
{
    enum { CB = $(L.CB), KB = $(L.KB), B = $(L.B) };
    const float *weight = m->params + $(L.w_off);
    float *wt = m->$(L.name)_wt;
#pragma omp parallel for collapse(2) schedule(static)
    for (int cb = 0; cb < CB; cb++)
        for (int kb = 0; kb < KB; kb++)
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 3; s++) {
                    const float *src = weight + ((((size_t)kb * CB + cb) * 9) + (2 - r) * 3 + (2 - s)) * B * B;
                    float *dst = wt + ((((size_t)cb * KB + kb) * 9) + r * 3 + s) * B * B;
                    for (int c = 0; c < B; c++)
                        for (int k = 0; k < B; k++) dst[k * B + c] = src[c * B + k];
                }
@ if L.wino_bwd_d then
    $(L.name)_wino_weights(wt, m->$(L.name)_wino_ub, CB, KB);
@ end
}
@ end

@ if not L.first then
static inline void $(L.name)_data_row(hep_model *m, const float *dy, float *din, int h,
                                      const unsigned long long *blocks)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), WC = $(L.WC) };
    for (int cb = 0; cb < CB; cb++)
        for (int w0 = 0; w0 < W; w0 += WC)
            m->$(L.name)_bwd_d(m->$(L.name)_wt + (size_t)cb * KB * 9 * B * B, dy + (h * (W + 2) + w0) * B,
                               din + ((cb * (H + 2) + h + 1) * (W + 2) + w0 + 1) * B, blocks,
                               $(L.name)_bwd_a_offs, $(L.name)_bwd_b_offs);
}

@ end
/* The epilogue's backward for the conv rows h0 .. h0+BWR-1 of image n: the
 * gradient before the epilogue into dy (row r held in dy's row r - dy_top),
 * its sum per channel added to dbias. */
static inline void $(L.name)_epilogue_backward_band(hep_model *m, int n, const float *dout, float *dy, int h0,
                                                    int dy_top, float *dbias, const hep_dropout *drop,
                                                    const hep_pass *pass)
{
    enum { KB = $(L.KB), W = $(L.W), B = $(L.B), OH = $(L.OH), OW = $(L.OW), K = $(L.K), BWR = $(L.BWR),
           DYH = $(L.DYH), OUT_IMAGE = KB * (OH + 2) * (OW + 2) * B };
    (void)pass; (void)OUT_IMAGE; (void)K;
    for (int kb = 0; kb < KB; kb++)
@ if L.pool then
        for (int p = h0 / 2; p < (h0 + BWR) / 2; p++) {
@ else
        for (int p = h0; p < h0 + BWR; p++) {
@ end
            const float *dout_row = dout + ((kb * (OH + 2) + p + 1) * (OW + 2) + 1) * B;
@ if L.pool then
            float *dy_row = dy + ((kb * DYH + 2 * p - dy_top) * (W + 2) + 1) * B;
            const uint8_t *mask_row = m->$(L.name)_mask + (((size_t)n * KB + kb) * OH + p) * OW * B / 2;
            const int more = p + 1 < OH;   /* this block's next row, read next (or by the next band) */
            hep_epilogue_pool_backward(dout_row, mask_row, W, B, dy_row, dy_row + (W + 2) * B, dbias + kb * B, drop,
                                       more ? dout_row + (OW + 2) * B : NULL, more ? mask_row + OW * B / 2 : NULL);
@ else
            const float *out_row = m->$(L.name)_out + (size_t)n * OUT_IMAGE + (dout_row - dout);
            uint16_t keep_bits[OW * B / 16];
            hep_epilogue_row_backward(dout_row, out_row, W, B, $(L.relu and 1 or 0),
                                      dy + ((kb * DYH + p - dy_top) * (W + 2) + 1) * B, dbias + kb * B,
                                      $(L.name)_drop_keep(drop, pass, n, kb, 1, p, keep_bits));
@ end
        }
}

@ if L.bn then
/* Batch norm's backward. With g the gradient of the normalised output y,
 * z the conv output, x = (z - mean)/std and M = images x $(L.H * L.W) pixels:
 * dbeta = sum g, dgamma = sum g x, and
 * dz = gamma/std (g - dbeta/M - x dgamma/M) = DG g + DZ z + DC per channel.
 * The sums need every image's g first, so the epilogue's backward runs
 * twice: here for the sums, then again (cheap: a mask and a multiply) in
 * $(L.name)_backward_image, which turns g into dz before the conv's passes. */
static void $(L.name)_bn_backward_sums(hep_model *m, hep_thread *t, int n, const float *dout, const hep_pass *pass)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), BWR = $(L.BWR), DYH = $(L.DYH) };
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    for (int h0 = 0; h0 < H; h0 += BWR) {
        const int dy_top = $(L.first and "h0" or "-1");
        $(L.name)_epilogue_backward_band(m, n, dout, t->dy, h0, dy_top, t->sink, &drop, pass);
        for (int kb = 0; kb < KB; kb++) {
            double sum_g[B], sum_gz[B];
            for (int b = 0; b < B; b++) sum_g[b] = sum_gz[b] = 0;
            for (int h = h0; h < h0 + BWR; h++) {
                const float *g = t->dy + ((kb * DYH + h - dy_top) * (W + 2) + 1) * B;
                const float *z = m->$(L.name)_pre + (((size_t)n * KB + kb) * H + h) * W * B;
                for (int w = 0; w < W; w++)
                    for (int b = 0; b < B; b++) {
                        sum_g[b] += g[w * B + b];
                        sum_gz[b] += (double)g[w * B + b] * z[w * B + b];
                    }
            }
            double *s = m->$(L.name)_bsums + (((size_t)n * KB + kb) * (H / BWR) + h0 / BWR) * 2 * B;
            memcpy(s, sum_g, sizeof sum_g);
            memcpy(s + B, sum_gz, sizeof sum_gz);
        }
    }
}

/* The batch's sums in a fixed order: scale and shift gradients (into thread
 * 0's private copy, which the backward sums with the others'), and the
 * coefficients of dz. */
static void $(L.name)_bn_backward_reduce(hep_model *m, int n_images)
{
    enum { K = $(L.K), KB = $(L.KB), H = $(L.H), B = $(L.B), BANDS = $(L.H // L.BWR) };
    const double count = (double)n_images * $(L.H * L.W);
    float *bn = m->$(L.name)_bn, *dgamma = m->thread[0].grad + $(L.scale_off), *dbeta = m->thread[0].grad + $(L.shift_off);
    const float *gamma = m->params + $(L.scale_off);
    for (int k = 0; k < K; k++) {
        double sum_g = 0, sum_gz = 0;
        for (int n = 0; n < n_images; n++)
            for (int band = 0; band < BANDS; band++) {
                const double *s = m->$(L.name)_bsums + (((size_t)n * KB + k / B) * BANDS + band) * 2 * B;
                sum_g += s[k % B];
                sum_gz += s[B + k % B];
            }
        double mean = bn[$(L.name)_BN_MEAN * K + k], invstd = bn[$(L.name)_BN_INVSTD * K + k];
        double dg = invstd * (sum_gz - mean * sum_g), a = gamma[k] * invstd;
        dgamma[k] = (float)dg;
        dbeta[k] = (float)sum_g;
        double dz = -a * invstd * dg / count;
        bn[$(L.name)_BN_DG * K + k] = (float)a;
        bn[$(L.name)_BN_DZ * K + k] = (float)dz;
        bn[$(L.name)_BN_DC * K + k] = (float)(-a * sum_g / count - dz * mean);
    }
    (void)H;
}

/* g -> dz in place for the band's rows (see above). */
static inline void $(L.name)_bn_backward_band(const hep_model *m, int n, float *dy, int h0, int dy_top)
{
    enum { K = $(L.K), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), BWR = $(L.BWR), DYH = $(L.DYH) };
    const float *bn = m->$(L.name)_bn;
    for (int kb = 0; kb < KB; kb++) {
        const float *dg = bn + $(L.name)_BN_DG * K + kb * B, *dz = bn + $(L.name)_BN_DZ * K + kb * B;
        const float *dc = bn + $(L.name)_BN_DC * K + kb * B;
        for (int h = h0; h < h0 + BWR; h++) {
            float *g = dy + ((kb * DYH + h - dy_top) * (W + 2) + 1) * B;
            const float *z = m->$(L.name)_pre + (((size_t)n * KB + kb) * H + h) * W * B;
            for (int w = 0; w < W; w++)
                for (int b = 0; b < B; b++) g[w * B + b] = dg[b] * g[w * B + b] + dz[b] * z[w * B + b] + dc[b];
        }
    }
}

@ end
@ if L.patches then
/* The input patches of conv rows y .. y+$(L.BWC - 1) for backward-weights:
 * patch [$(L.BWC)][$(L.W)][3][3][$(L.C)], each pixel's 3x3 window of all channels (the
 * tap order of the weight gradient's blocks), from the zero-bordered input. */
static inline void $(L.name)_input_patches(const float *in, int y, float *restrict patch)
{
    enum { W = $(L.W), C = $(L.C), ROWS = $(L.BWC) };
    for (int dy = 0; dy < ROWS; dy++)
        for (int x = 0; x < W; x++)
            for (int r = 0; r < 3; r++)
                memcpy(patch + ((size_t)(dy * W + x) * 3 + r) * 3 * C, in + ((size_t)(y + dy + r) * (W + 2) + x) * C,
                       sizeof(float) * 3 * C);
}

@ end
@ if not L.wino_bwd_w then
@ if not L.first then
/* Block kb's part of the weight gradient from *rows conv rows from row y:
 * dy_rows (dy's rows for block kb from conv row y) times the input. The
 * kb's CB * 9 gradient blocks go in memory order. Every image's backward
 * passes through all layers, so they come back from L3: the next call's
 * block is prefetched while the kernel works on this one (this kb's first
 * again when `again`: more of the band's rows follow). */
static inline void $(L.name)_weight_grad_rows(hep_model *m, const float *in, const float *dy_rows, int kb, int y,
                                              const unsigned long long *rows, int again, float *dweight)
{
    enum { CB = $(L.CB), H = $(L.H), W = $(L.W), B = $(L.B) };
    float *dw_kb = dweight + (size_t)kb * CB * 9 * B * B;
    for (int blk = 0; blk < CB * 9; blk++) {
        const int cb = blk / 9, r = blk % 9 / 3, s = blk % 3;
        float *dw_blk = dw_kb + (size_t)blk * B * B;
        const int wraps = again && blk + 1 == CB * 9;
        hep_prefetch_floats(wraps ? dw_kb : dw_blk + B * B, B * B);
        m->$(L.name)_bwd_w(dy_rows, in + ((cb * (H + 2) + y + r) * (W + 2) + s) * B, dw_blk, rows);
    }
}

@ end
/* The weight gradient of the band of conv rows h0 .. h0+$(L.BWR - 1): dy's rows
 * (conv row y held in dy's row y - dy_top) times the input, accumulated
 * into dweight. */
static inline void $(L.name)_weight_grad_band(hep_model *m, const float *in, const float *dy, int h0, int dy_top,
                                              float *dweight$(L.patches and ", float *patch" or ""))
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), C = $(L.C), BWR = $(L.BWR),
           BWC = $(L.BWC), DYH = $(L.DYH) };
    const unsigned long long rows = BWC;   /* per backward-weights call */
@ if L.patches then
    /* For $(L.BWC) rows at a time, their input patches, then per block one
     * call for all 9 taps (dy's rows times the patches). */
    for (int y = h0; y < h0 + BWR; y += BWC) {
        $(L.name)_input_patches(in, y, patch);
        for (int kb = 0; kb < KB; kb++)
            m->$(L.name)_bwd_w(dy + ((kb * DYH + y - dy_top) * (W + 2) + 1) * B, patch,
                               dweight + (size_t)kb * 9 * C * B, &rows);
    }
@ else
    /* For each tap, the band's dy times the input, $(L.BWC) of its rows per
     * call$(L.BWC < L.BWR and " (they stay in L1 while the kernel passes over them)" or ""). */
    for (int kb = 0; kb < KB; kb++)
        for (int y = h0; y < h0 + BWR; y += BWC) {
            const float *dy_rows = dy + ((kb * DYH + y - dy_top) * (W + 2) + 1) * B;
@ if L.first then
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 3; s++)
                    m->$(L.name)_bwd_w(dy_rows, in + ((y + r) * (W + 2) + s) * C,
                                       dweight + ((size_t)kb * 9 + r * 3 + s) * C * B, &rows);
@ else
            $(L.name)_weight_grad_rows(m, in, dy_rows, kb, y, &rows, y + BWC < h0 + BWR, dweight);
@ end
        }
@ end
}

@ end
@ if not L.first then
/* The data gradient that the band of conv rows h0 .. h0+$(L.BWR - 1) completes
 * (the 3x3 window needs the dy rows on both sides of an input row).
@ if L.wino_bwd_d then
 * By Winograd tile rows$(L.WDG > 1 and (", " .. L.WDG .. " at a time") or ""): *ty_next is the next one not yet computed. */
static inline void $(L.name)_data_grad_band(hep_model *m, hep_thread *t, const float *dy, float *din, int h0,
                                            int *ty_next)
{
    enum { H = $(L.H), BWR = $(L.BWR), T = $(L.WT), G = $(L.WDG) };
    /* tile row ty needs dy rows $(L.WT)ty-1 .. $(L.WT)ty+$(L.WT) (row H is the zero border) */
    for (; T * *ty_next < H && (h0 + BWR == H || T * (*ty_next + G) < h0 + BWR); *ty_next += G)
        $(L.name)_wino_data_rows(m, t, dy, din, *ty_next, (hep_blocks){ 0, $(L.CB) });
}
@ else
 * Rows h0-1 .. h0+BWR-2 (the last band: to H-1), by the forward kernel over
 * dy with the flipped weights. */
static inline void $(L.name)_data_grad_band(hep_model *m, const float *dy, float *din, int h0)
{
    enum { H = $(L.H), BWR = $(L.BWR) };
    const unsigned long long blocks = $(L.KB) * 9;
    const int last = h0 + BWR < H ? h0 + BWR - 1 : H;
    for (int h = h0 > 0 ? h0 - 1 : 0; h < last; h++)
        $(L.name)_data_row(m, dy, din, h, &blocks);
}
@ end

@ end
@ local by_pairs = L.WDI == 2   -- backward-data by pairs of images: the data gradient apart (_backward_top)
@ if by_pairs then
/* Image n's backward but its data gradient: the pre-pool gradient into dy
 * (the thread's, or a pair's first image's), and the weight gradient;
 * backward-data follows, of this image alone (_backward_image) or of a pair
 * (conv_winograd.c's _wino_data_images). */
static void $(L.name)_backward_top(hep_model *m, hep_thread *t, int n, const float *dout, float *dy,
                                   const hep_pass *pass)
@ else
static void $(L.name)_backward_image(hep_model *m, hep_thread *t, int n, const float *dout, float *din,
                                     const hep_pass *pass)
@ end
{
    enum { H = $(L.H), W = $(L.W), B = $(L.B), KB = $(L.KB), C = $(L.C), CB = $(L.CB), BWR = $(L.BWR),
           IN_IMAGE = $(L.first and "(H + 2) * (W + 2) * C" or "CB * (H + 2) * (W + 2) * B") };
    const float *in = m->$(L.in_buf) + (size_t)n * IN_IMAGE;
@ if not by_pairs then
    float *dy = t->dy;
@ end
    float *dbias = $(L.bn and "t->sink" or ("t->grad + " .. tostring(L.b_off)));
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
@ if L.first then
    (void)din;
@ end
@ if L.wino_bwd_d and not by_pairs then
    int ty_next = 0;   /* backward-data's next tile row */
@ end
    double t0 = omp_get_wtime(), t1;
@ if not L.first then
    hep_zero_border(dy, KB, H, W, B);   /* read by backward-data as padding */
@ end

    /* Row bands of BWR conv rows: the band's pre-pool gradient is written,
     * used for the weight gradient and (with a one-row lag, for the 3x3
     * window) for the data gradient while it is still in cache. */
    for (int h0 = 0; h0 < H; h0 += BWR) {
        const int dy_top = $(L.first and "h0" or "-1");   /* conv row held in dy's row 0 */
        $(L.name)_epilogue_backward_band(m, n, dout, dy, h0, dy_top, dbias, &drop, pass);
@ if L.bn then
        $(L.name)_bn_backward_band(m, n, dy, h0, dy_top);
@ end
        t1 = omp_get_wtime(); t->bwd_d[$(L.index0)] += t1 - t0; t0 = t1;
@ if not L.wino_bwd_w then
        $(L.name)_weight_grad_band(m, in, dy, h0, dy_top, t->grad + $(L.w_off)$(L.patches and ", t->patch" or ""));
        t1 = omp_get_wtime(); t->bwd_w[$(L.index0)] += t1 - t0; t0 = t1;
@ end
@ if not L.first and not by_pairs then
        $(L.name)_data_grad_band(m, $(L.wino_bwd_d and "t, " or "")dy, din, h0$(L.wino_bwd_d and ", &ty_next" or ""));
        t1 = omp_get_wtime(); t->bwd_d[$(L.index0)] += t1 - t0; t0 = t1;
@ end
    }
@ if L.wino_bwd_w then
    /* Weight gradient by Winograd, over the whole image's dy (conv_winograd.c). */
    $(L.name)_wino_weight_grad_image(m, t, in, dy);
    t->bwd_w[$(L.index0)] += omp_get_wtime() - t0;
@ end
}
@ if by_pairs then

/* Image n's backward, alone: where no pair is left (templates/model.c). */
static void $(L.name)_backward_image(hep_model *m, hep_thread *t, int n, const float *dout, float *din,
                                     const hep_pass *pass)
{
    $(L.name)_backward_top(m, t, n, dout, t->dy, pass);
    const double t0 = omp_get_wtime();
    $(L.name)_wino_data_rows(m, t, t->dy, din, 0, (hep_blocks){ 0, $(L.CB) });
    t->bwd_d[$(L.index0)] += omp_get_wtime() - t0;
}
@ end

/* ---- $(L.name) backward of images first .. n-1, each image's rows shared out ----
 * For the images a rank cannot give every thread one of (conv_backward in
 * the model): the work items are pieces of an image (bands, rows, tile
 * rows), not whole images, so that every thread takes part. gout[i] and
 * gin[i] are image i's output and input gradients, dys[i] its whole
 * pre-pool gradient (the first conv has no data gradient and keeps the
 * thread's band). The stages run inside the team's parallel region; each
 * loop ends at the barrier the next stage needs, or, where none is needed,
 * at the next loop's. */

/* The epilogue's backward by bands of rows (batch norm's sums for the
 * batch are in: conv_backward_by_layer); the first conv's weight gradient
 * with its band. */
static void $(L.name)_split_epilogue(hep_model *m, hep_thread *t, int first, int n, float *const *gout,
                                     float *const *dys, const hep_pass *pass)
{
    enum { H = $(L.H), W = $(L.W), B = $(L.B), KB = $(L.KB), C = $(L.C), BWR = $(L.BWR), BANDS = H / BWR };
    float *dbias = $(L.bn and "t->sink" or ("t->grad + " .. tostring(L.b_off)));
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    (void)dys; (void)W; (void)KB; (void)C;
#pragma omp for collapse(2) schedule(static)
    for (int i = first; i < n; i++)
        for (int band = 0; band < BANDS; band++) {
            const int h0 = band * BWR;
@ if L.first then
            $(L.name)_epilogue_backward_band(m, i, gout[i], t->dy, h0, h0, dbias, &drop, pass);
@   if L.bn then
            $(L.name)_bn_backward_band(m, i, t->dy, h0, h0);
@   end
            $(L.name)_weight_grad_band(m, m->$(L.in_buf) + (size_t)i * (H + 2) * (W + 2) * C, t->dy, h0, h0,
                                       t->grad + $(L.w_off)$(L.patches and ", t->patch" or ""));
@ else
            if (band == 0) hep_zero_border(dys[i], KB, H, W, B);   /* the others write only inside it */
            $(L.name)_epilogue_backward_band(m, i, gout[i], dys[i], h0, -1, dbias, &drop, pass);
@   if L.bn then
            $(L.name)_bn_backward_band(m, i, dys[i], h0, -1);
@   end
@ end
        }
}

@ if not L.first then
/* The weight gradient: direct, by block kb and runs of rows (the kernel's
 * batch-reduce count is the rows); Winograd, by groups of tile rows, each
 * transformed into the thread's group scratch and its products taken at
 * once, and with fewer tile rows than threads by parts of the output blocks
 * (each part transforms the rows' input again). As many pieces as make work
 * for every thread. */
static void $(L.name)_split_weights(hep_model *m, hep_thread *t, int first, int n, float *const *dys)
{
    enum { H = $(L.H), W = $(L.W), B = $(L.B), KB = $(L.KB), IN_IMAGE = $(L.CB) * (H + 2) * (W + 2) * B };
@   if L.wino_bwd_w then
    enum { TH = $(L.TH), TW = $(L.TW), WK = $(L.WK), MOST = $(math.min(L.TH, L.WG)) };
@     if L.WI > 1 then
    $(L.name)_wino_weight_flush(m, t);   /* whole images of its own may wait in the group scratch */
@     end
    float *scratch = $(L.WI > 1 and ("t->wgroup + " .. tostring(L.wgroup_off)) or "t->wino");
    int rows = TH * (n - first) / m->threads;
    rows = rows < 1 ? 1 : rows > MOST ? MOST : rows;
    const int groups = (TH + rows - 1) / rows, parts = hep_block_parts((long)groups * (n - first), m->threads, KB);
#pragma omp for collapse(3) schedule(static) nowait
    for (int i = first; i < n; i++)
        for (int g = 0; g < groups; g++)
            for (int part = 0; part < parts; part++) {
                const int ty0 = g * rows, r = TH - ty0 < rows ? TH - ty0 : rows;
                const hep_blocks kbs = hep_block_part(KB, part, parts);
                $(L.name)_wino_weight_transforms(m->$(L.in_buf) + (size_t)i * IN_IMAGE, dys[i], ty0, r, kbs, scratch,
                                                 0);
                $(L.name)_wino_weight_products(m, t, scratch, kbs, (unsigned long long)r * TW / WK);
            }
@   else
    enum { BWC = $(L.BWC) };
    int rows = H * KB * (n - first) / m->threads;
    rows = rows < 1 ? 1 : rows > BWC ? BWC : rows;
    const int runs = (H + rows - 1) / rows;
#pragma omp for collapse(3) schedule(static) nowait
    for (int i = first; i < n; i++)
        for (int run = 0; run < runs; run++)
            for (int kb = 0; kb < KB; kb++) {
                const int y = run * rows;
                const unsigned long long count = H - y < rows ? H - y : rows;
                $(L.name)_weight_grad_rows(m, m->$(L.in_buf) + (size_t)i * IN_IMAGE,
                                           dys[i] + ((kb * (H + 2) + y + 1) * (W + 2) + 1) * B, kb, y, &count, 0,
                                           t->grad + $(L.w_off));
            }
@   end
}

/* The data gradient, by rows (direct) or tile rows (Winograd$(L.wino_bwd_d and L.WDG > 1 and (", in groups of " .. L.WDG) or "");
 * with fewer of them than threads, by parts of their input blocks). */
static void $(L.name)_split_data(hep_model *m, hep_thread *t, int first, int n, float *const *gin, float *const *dys)
{
@   if L.wino_bwd_d then
    enum { GROUPS = $(L.TH // L.WDG), G = $(L.WDG), CB = $(L.CB) };
    const int parts = hep_block_parts((long)GROUPS * (n - first), m->threads, CB);
#pragma omp for collapse(3) schedule(static)
    for (int i = first; i < n; i++)
        for (int grp = 0; grp < GROUPS; grp++)
            for (int part = 0; part < parts; part++)
                $(L.name)_wino_data_rows(m, t, dys[i], gin[i], G * grp, hep_block_part(CB, part, parts));
@   else
    const unsigned long long blocks = $(L.KB * 9);
#pragma omp for collapse(2) schedule(static)
    for (int i = first; i < n; i++)
        for (int h = 0; h < $(L.H); h++) $(L.name)_data_row(m, dys[i], gin[i], h, &blocks);
    (void)t;
@   end
}

@ end
static void $(L.name)_backward_split(hep_model *m, hep_thread *t, int first, int n, float *const *gout, float *const *gin,
                                     float *const *dys, const hep_pass *pass)
{
    double t0 = omp_get_wtime();
    $(L.name)_split_epilogue(m, t, first, n, gout, dys, pass);
@ if L.first then
    (void)gin;
    t->bwd_w[$(L.index0)] += omp_get_wtime() - t0;   /* the band's weight gradient, most of it */
@ else
    double t1 = omp_get_wtime();
    t->bwd_d[$(L.index0)] += t1 - t0; t0 = t1;
    $(L.name)_split_weights(m, t, first, n, dys);
    t1 = omp_get_wtime(); t->bwd_w[$(L.index0)] += t1 - t0; t0 = t1;
    $(L.name)_split_data(m, t, first, n, gin, dys);
    t->bwd_d[$(L.index0)] += omp_get_wtime() - t0;
@ end
}
