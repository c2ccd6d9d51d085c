
/* ---- $(L.name) forward by Winograd F(2x2,3x3) (Lavin and Gray, 2016) ----
 * Y = A^T [ sum_c (G g G^T) . (B^T d B) ] A: each 2x2 output tile from a 4x4
 * input tile, 16 products per channel pair instead of 36. In the
 * transformed domain a row of tiles is 16 GEMMs [K x C] x [C x tiles]: one
 * libxsmm batch-reduce call per position, output block and chunk of
 * $(L.WINO_N) tiles (m=$(L.B), n=$(L.WINO_N), k=$(L.B), reduced over $(L.CB) input blocks).
 * A thread takes one image's row of $(L.W // 2) tiles at a time: its transformed
 * input V [16][$(L.CB)][$(L.W // 2)][$(L.B)], products M [16][$(L.KB)][$(L.W // 2)][$(L.B)] and the two conv
 * rows [$(L.KB)][2][$(L.W)][$(L.B)] stay in the thread's scratch; the rows then go through the
 * same epilogue as the direct algorithm's. */

/* U [16][OB][IB][B in][B out] = G g G^T for every channel pair, from
 * weights [OB][IB][3][3][B in][B out]: the forward's (OB = KB output
 * blocks), or backward-data's flipped, transposed ones (OB = CB). */
static void $(L.name)_wino_weights(const float *weight, float *U, int OB, int IB)
{
    enum { B = $(L.B) };
    const int KB = OB, CB = IB;
#pragma omp parallel for collapse(2) schedule(static)
    for (int kb = 0; kb < KB; kb++)
        for (int cb = 0; cb < CB; cb++)
            for (int ci = 0; ci < B; ci++) {
                const float *g = weight + (((size_t)kb * CB + cb) * 9 * B + ci) * B;   /* tap t at g + t * B * B */
                float gg[4][3][B];   /* G g: rows of the 4x3 product */
                for (int s = 0; s < 3; s++)
                    for (int o = 0; o < B; o++) {
                        float g0 = g[(0 * 3 + s) * B * B + o], g1 = g[(1 * 3 + s) * B * B + o], g2 = g[(2 * 3 + s) * B * B + o];
                        gg[0][s][o] = g0;
                        gg[1][s][o] = 0.5f * (g0 + g1 + g2);
                        gg[2][s][o] = 0.5f * (g0 - g1 + g2);
                        gg[3][s][o] = g2;
                    }
                for (int i = 0; i < 4; i++)
                    for (int o = 0; o < B; o++) {
                        float u[4] = { gg[i][0][o], 0.5f * (gg[i][0][o] + gg[i][1][o] + gg[i][2][o]),
                                       0.5f * (gg[i][0][o] - gg[i][1][o] + gg[i][2][o]), gg[i][2][o] };
                        for (int j = 0; j < 4; j++)
                            U[((((size_t)(i * 4 + j) * KB + kb) * CB + cb) * B + ci) * B + o] = u[j];
                    }
            }
}

/* V [16][IB][TW][B] = B^T d B for the tiles of output rows 2ty, 2ty+1 from
 * one image's zero-bordered src [IB][H+2][W+2][B] (rows 2ty-1 .. 2ty+2 are
 * bordered rows 2ty .. 2ty+3): the input (forward) or the output
 * gradient (backward-data). */
static inline void $(L.name)_wino_input(const float *src, int IB, int ty, float *restrict V)
{
    enum { H = $(L.H), W = $(L.W), B = $(L.B), TW = W / 2 };
    const int CB = IB;
    for (int cb = 0; cb < CB; cb++)
        for (int tx = 0; tx < TW; tx++) {
            const float *d = src + ((cb * (H + 2) + 2 * ty) * (W + 2) + 2 * tx) * B;
            float t[4][4][B];   /* B^T d: rows combined */
            for (int c = 0; c < 4; c++)
#pragma omp simd
                for (int b = 0; b < B; b++) {
                    float d0 = d[(0 * (W + 2) + c) * B + b], d1 = d[(1 * (W + 2) + c) * B + b];
                    float d2 = d[(2 * (W + 2) + c) * B + b], d3 = d[(3 * (W + 2) + c) * B + b];
                    t[0][c][b] = d0 - d2;
                    t[1][c][b] = d1 + d2;
                    t[2][c][b] = d2 - d1;
                    t[3][c][b] = d1 - d3;
                }
            for (int i = 0; i < 4; i++) {
                float *v = V + (((size_t)(i * 4) * CB + cb) * TW + tx) * B;
                const size_t next = (size_t)CB * TW * B;   /* position i*4+j+1 */
#pragma omp simd
                for (int b = 0; b < B; b++) {
                    v[0 * next + b] = t[i][0][b] - t[i][2][b];
                    v[1 * next + b] = t[i][1][b] + t[i][2][b];
                    v[2 * next + b] = t[i][2][b] - t[i][1][b];
                    v[3 * next + b] = t[i][1][b] - t[i][3][b];
                }
            }
        }
}

/* Two rows of every output block = A^T M A from the products M
 * [16][OB][TW][B]: block ob's row i pixel x at dst + (ob * block + i * row + x) * B. */
static inline void $(L.name)_wino_output(const float *restrict M, int OB, float *restrict dst, size_t block, size_t row)
{
    enum { W = $(L.W), B = $(L.B), TW = W / 2 };
    const int KB = OB;
    const size_t next = (size_t)KB * TW * B;   /* from one position to the next */
    for (int kb = 0; kb < KB; kb++)
        for (int tx = 0; tx < TW; tx++) {
            const float *mm = M + ((size_t)kb * TW + tx) * B;
            float *y = dst + ((size_t)kb * block + 2 * tx) * B;
#pragma omp simd
            for (int b = 0; b < B; b++) {
                float s[2][4];
                for (int j = 0; j < 4; j++) {
                    float m0 = mm[(0 * 4 + j) * next + b], m1 = mm[(1 * 4 + j) * next + b];
                    float m2 = mm[(2 * 4 + j) * next + b], m3 = mm[(3 * 4 + j) * next + b];
                    s[0][j] = m0 + m1 + m2;
                    s[1][j] = m1 - m2 - m3;
                }
                for (int i = 0; i < 2; i++) {
                    y[(i * row + 0) * B + b] = s[i][0] + s[i][1] + s[i][2];
                    y[(i * row + 1) * B + b] = s[i][1] - s[i][2] - s[i][3];
                }
            }
        }
}

/* M [16][OB][TW][B]: the transformed-domain products of U [16][OB][IB][B][B]
 * and V [16][IB][TW][B], one batch-reduce call per position, output block
 * and chunk of tiles. */
static inline void $(L.name)_wino_products(const hep_model *m, const float *U, const float *V, float *M, int OB, int IB)
{
    enum { W = $(L.W), B = $(L.B), TW = W / 2, NC = $(L.WINO_N) };
    const unsigned long long blocks = (unsigned long long)IB;
    for (int xi = 0; xi < 16; xi++)
        for (int ob = 0; ob < OB; ob++)
            for (int t0 = 0; t0 < TW; t0 += NC)
                m->$(L.name)_wino(U + (((size_t)xi * OB + ob) * IB) * B * B, V + ((size_t)xi * IB * TW + t0) * B,
                                  M + (((size_t)xi * OB + ob) * TW + t0) * B, &blocks);
}

static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), TW = W / 2, TH = H / 2,
           IN_IMAGE = CB * (H + 2) * (W + 2) * B };
    const float *bias = m->params + $(L.b_off), *U = m->$(L.name)_wino_u;
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    $(L.name)_wino_weights(m->params + $(L.w_off), m->$(L.name)_wino_u, KB, CB);
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int ty = 0; ty < TH; ty++) {
            float *V = m->thread[omp_get_thread_num()].wino;
            float *M = V + (size_t)16 * CB * TW * B, *rows = M + (size_t)16 * KB * TW * B;
            $(L.name)_wino_input(m->$(L.in_buf) + (size_t)n * IN_IMAGE, CB, ty, V);
            $(L.name)_wino_products(m, U, V, M, KB, CB);
            $(L.name)_wino_output(M, KB, rows, 2 * W, W);
            for (int kb = 0; kb < KB; kb++) {
@ if L.pool then
                $(L.name)_epilogue(m, rows + (size_t)kb * 2 * W * B, n, kb, ty, bias + kb * B, &drop, pass);
@ else
                $(L.name)_epilogue(m, rows + (size_t)kb * 2 * W * B, n, kb, 2 * ty, bias + kb * B, &drop, pass);
                $(L.name)_epilogue(m, rows + ((size_t)kb * 2 + 1) * W * B, n, kb, 2 * ty + 1, bias + kb * B, &drop, pass);
@ end
            }
        }
}

/* Backward-data of output rows 2ty, 2ty+1 (din's bordered rows 2ty+1, 2ty+2)
 * from the thread's output gradient dy [KB][H+2][W+2][B], by the same
 * algorithm over the flipped, transposed weights. */
static inline void $(L.name)_wino_data_rows(hep_model *m, hep_thread *t, const float *dy, float *din, int ty)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), TW = W / 2 };
    float *V = t->wino, *M = V + (size_t)16 * KB * TW * B;
    $(L.name)_wino_input(dy, KB, ty, V);
    $(L.name)_wino_products(m, m->$(L.name)_wino_ub, V, M, CB, KB);
    $(L.name)_wino_output(M, CB, din + ((2 * ty + 1) * (W + 2) + 1) * B, (size_t)(H + 2) * (W + 2), W + 2);
}
