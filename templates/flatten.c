/* ---- $(L.name): flatten [$(L.C)][$(L.H)][$(L.W)] (C,H,W order) -> $(L.F) features ----
 * Features are feature-major, m->feat [$(L.F)][batch]. */
static void $(L.name)_forward(hep_model *m, int n_images)
{
    enum { KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), IMAGE = KB * (H + 2) * (W + 2) * B, NC = 16 };
    const int N = m->batch;
    /* Threads over (block, row); inside, NC images at a time, whose rows
     * ([W][B] each, NC x W x B floats) stay in L1 while each feature's NC
     * consecutive floats are written. One image at a time wrote every
     * feature's line once per image, a scattered float each: hep64's
     * flatten took 0.62-0.81 ms, now 0.23-0.25 (tune_model, 3 pairs). */
#pragma omp parallel for collapse(2) schedule(static)
    for (int kb = 0; kb < KB; kb++)
        for (int h = 0; h < H; h++)
            for (int n0 = 0; n0 < n_images; n0 += NC) {
                const int nc = n_images - n0 < NC ? n_images - n0 : NC;
                const float *src = m->$(L.in_buf) + (size_t)n0 * IMAGE + ((kb * (H + 2) + h + 1) * (W + 2) + 1) * B;
                float *dst = m->feat + ((size_t)kb * B * H * W + h * W) * N + n0;
                for (int w = 0; w < W; w++)
                    for (int j = 0; j < B; j++)
                        for (int i = 0; i < nc; i++)
                            dst[((size_t)j * H * W + w) * N + i] = src[(size_t)i * IMAGE + w * B + j];
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
