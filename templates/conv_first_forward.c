/* ---- $(L.name) forward: 3x3 conv $(L.C)->$(L.K) at $(L.H)x$(L.W)$(L.epilogue), first layer ----
 * in  m->x0 [n][$(L.H + 2)][$(L.W + 2)][$(L.C)]  pixels with their $(L.C) channels, zero border
 * out m->$(L.name)_out [n][$(L.KB)][$(L.OH + 2)][$(L.OW + 2)][$(L.B)]  zero border
 * weight [$(L.KB)][3][3][$(L.C)][$(L.B)]
 * $(L.C) input channels are too few for a channel block: the GEMM's k is the
 * $(L.C) channels of one pixel (ldb = $(L.C)), reduced over the 9 taps, so no
 * input is copied or padded (m=$(L.B) channels, n=$(L.WC) pixels). */
static const unsigned long long $(L.name)_fwd_a_offs[9] = {$(L.fwd_a_offs)};
static const unsigned long long $(L.name)_fwd_b_offs[9] = {$(L.fwd_b_offs)};

/* Conv rows ROWS*p .. ROWS*p+ROWS-1 of image n, channel block kb, pixels
 * w0 .. w0+$(L.WC - 1), before any epilogue: row dy's pixel x at dst + (dy * row + x) * B. */
static inline void $(L.name)_conv_chunk(const hep_model *m, const float *weight, int n, int kb, int p, int w0,
                                        float *dst, int row)
{
    enum { C = $(L.C), H = $(L.H), W = $(L.W), B = $(L.B), ROWS = $(L.pool and 2 or 1),
           IN_IMAGE = (H + 2) * (W + 2) * C };
    const float *in = m->x0 + (size_t)n * IN_IMAGE;
    const unsigned long long taps = 9;
    for (int dy = 0; dy < ROWS; dy++)
        m->$(L.name)_fwd(weight + (size_t)kb * 9 * C * B, in + ((ROWS * p + dy) * (W + 2) + w0) * C,
                         dst + (size_t)dy * row * B, &taps, $(L.name)_fwd_a_offs, $(L.name)_fwd_b_offs);
}
