/* ---- $(L.name): flatten [$(L.C)][$(L.H)][$(L.W)] (C,H,W order) -> $(L.F) features ----
 * Features are feature-major, m->feat [$(L.F)][batch]. */
static void $(L.name)_forward(hep_model *m, int n_images)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), IMAGE = KB * (H + 2) * (W + 2) * B };
    const int N = m->batch;
    /* Threads over (block, row), images inside: the features of one row of
     * one block ([B][W] x batch) are filled while they stay in cache. */
#pragma omp parallel for collapse(2) schedule(static)
    for (int kb = 0; kb < KB; kb++)
        for (int h = 0; h < H; h++)
            for (int n = 0; n < n_images; n++) {
                const float *src = m->$(L.in_buf) + (size_t)n * IMAGE + ((kb * (H + 2) + h + 1) * (W + 2) + 1) * B;
                float *dst = m->feat + ((size_t)kb * B * H * W + h * W) * N + n;
                for (int w = 0; w < W; w++)
                    for (int j = 0; j < B; j++) dst[((size_t)j * H * W + w) * N] = src[w * B + j];
            }
}

/* dfeat_t: the feature gradient transposed to [batch][$(L.F)] (see the caller). */
static void $(L.name)_backward_image(const hep_model *m, int n, const float *dfeat_t, float *dout)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), F = $(L.F) };
    const float *g = dfeat_t + (size_t)n * F;
    for (int kb = 0; kb < KB; kb++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                float *dst = dout + ((kb * (H + 2) + h + 1) * (W + 2) + w + 1) * B;
                for (int j = 0; j < B; j++) dst[j] = g[(kb * B + j) * H * W + h * W + w];
            }
    (void)m;
}
