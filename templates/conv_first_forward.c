/* ---- $(L.name) forward: 3x3 conv $(L.C)->$(L.K) at $(L.H)x$(L.W)$(L.epilogue), first layer ----
 * in  m->x0 [n][$(L.H + 2)][$(L.W + 2)][$(L.C)]  pixels with their $(L.C) channels, zero border
 * out m->$(L.name)_out [n][$(L.KB)][$(L.OH + 2)][$(L.OW + 2)][$(L.B)]  zero border
 * weight [$(L.KB)][3][3][$(L.C)][$(L.B)]
 * $(L.C) input channels are too few for a channel block: each conv row is
 * unrolled into a panel [W][3*3*$(L.C)] (im2col of one row, in cache) and
 * multiplied by a GEMM with k = $(9 * L.C). */
static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    enum { C = $(L.C), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), WC = $(L.WC),
           OH = $(L.OH), OW = $(L.OW), ROWS = $(L.pool and 2 or 1), K = $(L.K), TAPS = 9 * C,
           IN_IMAGE = (H + 2) * (W + 2) * C, OUT_IMAGE = KB * (OH + 2) * (OW + 2) * B };
    const float *weight = m->params + $(L.w_off), *bias = m->params + $(L.b_off);
    float *out = m->$(L.name)_out;
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    (void)drop;

#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int p = 0; p < OH; p++) {
            hep_thread *t = &m->thread[omp_get_thread_num()];
            float *panel = t->panel;                         /* [ROWS][W][TAPS] */
            for (int dy = 0; dy < ROWS; dy++) {
                const float *src = m->x0 + (size_t)n * IN_IMAGE + (ROWS * p + dy) * (W + 2) * C;
                for (int w = 0; w < W; w++)
                    for (int r = 0; r < 3; r++)
                        memcpy(panel + (dy * W + w) * TAPS + r * 3 * C, src + (r * (W + 2) + w) * C,
                               sizeof(float) * 3 * C);
            }
            for (int kb = 0; kb < KB; kb++) {
                for (int dy = 0; dy < ROWS; dy++)
                    for (int w0 = 0; w0 < W; w0 += WC)
                        m->$(L.name)_fwd(weight + (size_t)kb * TAPS * B, panel + (dy * W + w0) * TAPS,
                                         t->tile + (dy * W + w0) * B);
                float *out_row = out + (size_t)n * OUT_IMAGE + ((kb * (OH + 2) + p + 1) * (OW + 2) + 1) * B;
                uint64_t index = (((pass->first_sample + n) * OH + p) * OW) * K + kb * B;
@ if L.pool then
                hep_epilogue_pool(t->tile, W, B, bias + kb * B, $(L.relu and 1 or 0), out_row,
                                  m->$(L.name)_mask + (((size_t)n * KB + kb) * OH + p) * OW * B,
                                  &drop, index, K);
@ else
                memcpy(out_row, t->tile, sizeof(float) * W * B);
                hep_epilogue_row(out_row, W, B, bias + kb * B, $(L.relu and 1 or 0), &drop, index, K);
@ end
            }
        }
}
