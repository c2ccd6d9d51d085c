/* ---- $(L.name): global average pool $(L.C)x$(L.H)x$(L.W) -> $(L.F) ----
 * forward: per channel block, a batch-reduce GEMM of the $(L.H) rows
 * ([$(L.B)] x [$(L.W)] pixels) with a vector of ones, then a 1/(H*W) scale.
 * backward: the feature gradient spread evenly over the pixels.
 * Features are feature-major, m->feat [$(L.F)][batch]. */
static void $(L.name)_forward(hep_model *m, int n_images)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), IMAGE = KB * (H + 2) * (W + 2) * B };
    const unsigned long long rows = H;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int kb = 0; kb < KB; kb++) {
            float sum[B];
            m->$(L.name)_fwd(m->$(L.in_buf) + (size_t)n * IMAGE + ((kb * (H + 2) + 1) * (W + 2) + 1) * B,
                             m->ones, sum, &rows);
            for (int j = 0; j < B; j++) m->feat[(size_t)(kb * B + j) * m->batch + n] = sum[j] * (1.0f / (H * W));
        }
}

/* dfeat_t: the feature gradient transposed to [batch][$(L.F)] (see the caller). */
static void $(L.name)_backward_image(const hep_model *m, int n, const float *dfeat_t, float *dout)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B) };
    for (int kb = 0; kb < KB; kb++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++)
                for (int j = 0; j < B; j++)
                    dout[((kb * (H + 2) + h + 1) * (W + 2) + w + 1) * B + j] =
                        dfeat_t[(size_t)n * $(L.F) + kb * B + j] * (1.0f / (H * W));
    (void)m;
}
