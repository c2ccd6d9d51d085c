/* ---- $(L.name) forward: 3x3 conv $(L.C)->$(L.K) at $(L.H)x$(L.W)$(L.epilogue) ----
 * in  m->$(L.in_buf)  [n][$(L.CB)][$(L.H + 2)][$(L.W + 2)][$(L.B)]  zero border
 * out m->$(L.name)_out [n][$(L.KB)][$(L.OH + 2)][$(L.OW + 2)][$(L.B)]  zero border
 * weight [$(L.KB)][$(L.CB)][3][3][$(L.B) in][$(L.B) out], one batch-reduce GEMM
 * (m=$(L.B) channels, n=$(L.WC) pixels, k=$(L.B), $(L.CB * 9) blocks) per tile. */
static const unsigned long long $(L.name)_fwd_a_offs[$(L.CB * 9)] = {$(L.fwd_a_offs)};
static const unsigned long long $(L.name)_fwd_b_offs[$(L.CB * 9)] = {$(L.fwd_b_offs)};

/* Conv rows ROWS*p .. ROWS*p+ROWS-1 of image n, channel block kb, pixels
 * w0 .. w0+$(L.WC - 1), before any epilogue: row dy's pixel x at dst + (dy * row + x) * B. */
static inline void $(L.name)_conv_chunk(const hep_model *m, const float *weight, int n, int kb, int p, int w0,
                                        float *dst, int row)
{
    enum { CB = $(L.CB), H = $(L.H), W = $(L.W), B = $(L.B), ROWS = $(L.pool and 2 or 1),
           IN_IMAGE = CB * (H + 2) * (W + 2) * B };
    const float *in = m->$(L.in_buf) + (size_t)n * IN_IMAGE;
    const unsigned long long blocks = CB * 9;
    for (int dy = 0; dy < ROWS; dy++)
        m->$(L.name)_fwd(weight + (size_t)kb * CB * 9 * B * B, in + ((ROWS * p + dy) * (W + 2) + w0) * B,
                         dst + (size_t)dy * row * B, &blocks, $(L.name)_fwd_a_offs, $(L.name)_fwd_b_offs);
}
