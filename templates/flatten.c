/* ---- $(L.name): flatten [$(L.C)][$(L.H)][$(L.W)] (C,H,W order) -> $(L.F) features ----
 * Features are feature-major, m->feat [$(L.F)][batch]. */
static void $(L.name)_forward(hep_model *m, int n_images)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), IMAGE = KB * (H + 2) * (W + 2) * B };
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int kb = 0; kb < KB; kb++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    const float *src = m->$(L.in_buf) + (size_t)n * IMAGE + ((kb * (H + 2) + h + 1) * (W + 2) + w + 1) * B;
                    float *dst = m->feat + ((size_t)kb * B * H * W + h * W + w) * m->batch + n;
                    for (int j = 0; j < B; j++) dst[(size_t)j * H * W * m->batch] = src[j];
                }
}

static void $(L.name)_backward_image(const hep_model *m, int n, const float *dfeat, float *dout)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B) };
    for (int kb = 0; kb < KB; kb++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                const float *src = dfeat + ((size_t)kb * B * H * W + h * W + w) * m->batch + n;
                float *dst = dout + ((kb * (H + 2) + h + 1) * (W + 2) + w + 1) * B;
                for (int j = 0; j < B; j++) dst[j] = src[(size_t)j * H * W * m->batch];
            }
}
