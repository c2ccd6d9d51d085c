/* ---- $(L.name): flatten [$(L.C)][$(L.H)][$(L.W)] (C,H,W order) -> $(L.F) features ---- */
static void $(L.name)_forward(hep_model *m, int n_images)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), F = $(L.F),
           IMAGE = KB * (H + 2) * (W + 2) * B };
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int kb = 0; kb < KB; kb++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    const float *src = m->$(L.in_buf) + (size_t)n * IMAGE + ((kb * (H + 2) + h + 1) * (W + 2) + w + 1) * B;
                    float *dst = m->feat + (size_t)n * F + (size_t)kb * B * H * W + h * W + w;
                    for (int j = 0; j < B; j++) dst[j * H * W] = src[j];
                }
}

static void $(L.name)_backward_image(const hep_model *m, int n, const float *dfeat, float *dout)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), F = $(L.F) };
    for (int kb = 0; kb < KB; kb++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                const float *src = dfeat + (size_t)n * F + (size_t)kb * B * H * W + h * W + w;
                float *dst = dout + ((kb * (H + 2) + h + 1) * (W + 2) + w + 1) * B;
                for (int j = 0; j < B; j++) dst[j] = src[j * H * W];
            }
    (void)m;
}
