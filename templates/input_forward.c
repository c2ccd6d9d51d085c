/* ---- input: plain x [n][$(I.c)][$(I.h)][$(I.w)] -> m->x0 [n][$(I.h + 2)][$(I.w + 2)][$(I.c)] ----
 * The first conv reads whole pixels (all $(I.c) channels) with a zero border. */
static void input_forward(hep_model *m, const float *x, int n_images)
{
    enum { C = $(I.c), H = $(I.h), W = $(I.w), IMAGE = (H + 2) * (W + 2) * C };
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int h = 0; h < H; h++) {
            float *dst = m->x0 + (size_t)n * IMAGE + ((h + 1) * (W + 2) + 1) * C;
            const float *src = x + (size_t)n * C * H * W + h * W;
            for (int w = 0; w < W; w++)
                for (int c = 0; c < C; c++) dst[w * C + c] = src[(size_t)c * H * W + w];
        }
}
