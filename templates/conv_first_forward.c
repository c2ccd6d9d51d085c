/* ---- $(L.name) forward: 3x3 conv $(L.C)->$(L.K) at $(L.H)x$(L.W)$(L.epilogue), first layer ----
 * in  m->x0 [n][$(L.H + 2)][$(L.W + 2)][$(L.C)]  pixels with their $(L.C) channels, zero border
 * out m->$(L.name)_out [n][$(L.KB)][$(L.OH + 2)][$(L.OW + 2)][$(L.B)]  zero border
 * weight [$(L.KB)][3][3][$(L.C)][$(L.B)]
 * $(L.C) input channels are too few for a channel block: the GEMM's k is the
 * $(L.C) channels of one pixel (ldb = $(L.C)), reduced over the 9 taps, so no
 * input is copied or padded (m=$(L.B) channels, n=$(L.WC) pixels). */
static const unsigned long long $(L.name)_fwd_a_offs[9] = {$(L.fwd_a_offs)};
static const unsigned long long $(L.name)_fwd_b_offs[9] = {$(L.fwd_b_offs)};

static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    enum { C = $(L.C), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), WC = $(L.WC),
           OH = $(L.OH), OW = $(L.OW), ROWS = $(L.pool and 2 or 1), K = $(L.K),
           IN_IMAGE = (H + 2) * (W + 2) * C, OUT_IMAGE = KB * (OH + 2) * (OW + 2) * B };
    const float *weight = m->params + $(L.w_off), *bias = m->params + $(L.b_off);
    float *out = m->$(L.name)_out;
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    const unsigned long long taps = 9;
    (void)drop;

#pragma omp parallel for collapse(3) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int kb = 0; kb < KB; kb++)
            for (int p = 0; p < OH; p++) {
                float *tile = m->thread[omp_get_thread_num()].tile;   /* [ROWS][W][B] */
                for (int dy = 0; dy < ROWS; dy++)
                    for (int w0 = 0; w0 < W; w0 += WC)
                        m->$(L.name)_fwd(weight + (size_t)kb * 9 * C * B,
                                         m->x0 + (size_t)n * IN_IMAGE + ((ROWS * p + dy) * (W + 2) + w0) * C,
                                         tile + (dy * W + w0) * B, &taps,
                                         $(L.name)_fwd_a_offs, $(L.name)_fwd_b_offs);
                float *out_row = out + (size_t)n * OUT_IMAGE + ((kb * (OH + 2) + p + 1) * (OW + 2) + 1) * B;
                uint64_t index = (((pass->first_sample + n) * OH + p) * OW) * K + kb * B;
@ if L.pool then
                hep_epilogue_pool(tile, W, B, bias + kb * B, $(L.relu and 1 or 0), out_row,
                                  m->$(L.name)_mask + (((size_t)n * KB + kb) * OH + p) * OW * B,
                                  &drop, index, K);
@ else
                memcpy(out_row, tile, sizeof(float) * W * B);
                hep_epilogue_row(out_row, W, B, bias + kb * B, $(L.relu and 1 or 0), &drop, index, K);
@ end
            }
}
