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
static void $(L.name)_backward_image(hep_model *m, hep_thread *t, int n, const float *dout, float *din,
                                     const hep_pass *pass)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), WC = $(L.WC), C = $(L.C),
           OH = $(L.OH), OW = $(L.OW), K = $(L.K), BWR = $(L.BWR), DYH = $(L.DYH),
           IN_IMAGE = $(L.first and "(H + 2) * (W + 2) * C" or "CB * (H + 2) * (W + 2) * B"),
           OUT_IMAGE = KB * (OH + 2) * (OW + 2) * B };
    const float *in = m->$(L.in_buf) + (size_t)n * IN_IMAGE;
    float *dy = t->dy;
    float *dweight = t->grad + $(L.w_off), *dbias = t->grad + $(L.b_off);
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    (void)drop; (void)din;
    double t0 = omp_get_wtime(), t1;
@ if not L.first then
    hep_zero_border(dy, KB, H, W, B);   /* read by backward-data as padding */
@ end

    /* Row bands of BWR conv rows: the band's pre-pool gradient is written,
     * used for the weight gradient and (with a one-row lag, for the 3x3
     * window) for the data gradient while it is still in cache. */
    const unsigned long long rows = BWR;
@ if not L.first then
    const unsigned long long blocks = KB * 9;
@ end
    for (int h0 = 0; h0 < H; h0 += BWR) {
        const int dy_top = $(L.first and "h0" or "-1");   /* conv row held in dy's row 0 */
        for (int kb = 0; kb < KB; kb++)
@ if L.pool then
            for (int p = h0 / 2; p < (h0 + BWR) / 2; p++) {
@ else
            for (int p = h0; p < h0 + BWR; p++) {
@ end
                const float *dout_row = dout + ((kb * (OH + 2) + p + 1) * (OW + 2) + 1) * B;
@ if L.pool then
                float *dy_row = dy + ((kb * DYH + 2 * p - dy_top) * (W + 2) + 1) * B;
                hep_epilogue_pool_backward(dout_row, m->$(L.name)_mask + (((size_t)n * KB + kb) * OH + p) * OW * B,
                                           W, B, dy_row, dy_row + (W + 2) * B, dbias + kb * B, &drop);
@ else
                const float *out_row = m->$(L.name)_out + (size_t)n * OUT_IMAGE + (dout_row - dout);
                uint64_t index = (((pass->first_sample + n) * OH + p) * OW) * K + kb * B;
                hep_epilogue_row_backward(dout_row, out_row, W, B, $(L.relu and 1 or 0),
                                          dy + ((kb * DYH + p - dy_top) * (W + 2) + 1) * B, dbias + kb * B,
                                          &drop, index, K);
@ end
            }
        t1 = omp_get_wtime(); t->bwd_d[$(L.index0)] += t1 - t0; t0 = t1;

        /* Weight gradient: for each tap, the band's dy times the input. */
        for (int kb = 0; kb < KB; kb++) {
            const float *dy_rows = dy + ((kb * DYH + h0 - dy_top) * (W + 2) + 1) * B;
@ if L.first then
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 3; s++)
                    m->$(L.name)_bwd_w(dy_rows, in + ((h0 + r) * (W + 2) + s) * C,
                                       dweight + ((size_t)kb * 9 + r * 3 + s) * C * B, &rows);
@ else
            for (int cb = 0; cb < CB; cb++)
                for (int r = 0; r < 3; r++)
                    for (int s = 0; s < 3; s++)
                        m->$(L.name)_bwd_w(dy_rows, in + ((cb * (H + 2) + h0 + r) * (W + 2) + s) * B,
                                           dweight + ((((size_t)kb * CB + cb) * 9) + r * 3 + s) * B * B, &rows);
@ end
        }
        t1 = omp_get_wtime(); t->bwd_w[$(L.index0)] += t1 - t0; t0 = t1;
@ if not L.first then

        /* Data gradient of rows h0-1 .. h0+BWR-2 (row h needs dy rows h-1..h+1):
         * the forward kernel over dy with the flipped weights. */
        int last = h0 + BWR < H ? h0 + BWR - 1 : H;
        for (int h = h0 > 0 ? h0 - 1 : 0; h < last; h++)
            $(L.name)_data_row(m, dy, din, h, &blocks);
        t1 = omp_get_wtime(); t->bwd_d[$(L.index0)] += t1 - t0; t0 = t1;
@ end
    }
}
