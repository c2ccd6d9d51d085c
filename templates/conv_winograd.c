/* ---- $(L.name) by Winograd F($(L.WT)x$(L.WT),3x3) (Lavin and Gray, 2016; runtime/winograd.h) ----
 * Y = A^T [ sum_c (G g G^T) . (B^T d B) ] A: each $(L.WT)x$(L.WT) output tile from a
 * $(L.WA)x$(L.WA) input tile, $(L.WP) products per channel pair instead of $(9 * L.WT * L.WT). In the
 * transformed domain a chunk of tiles is $(L.WP) GEMMs [K x C] x [C x tiles]: one
 * libxsmm batch-reduce call per position and output block (m=$(L.B), n=$(L.WINO_N),
 * k=$(L.B), reduced over the input blocks). A thread takes one image's row of
 * $(L.TW) tiles ($(L.WT) conv rows) at a time, in chunks of $(L.WINO_N) tiles whose transformed
 * input V [$(L.WP)][IB][$(L.WINO_N)][$(L.B)] and products M [$(L.WP)][OB][$(L.WINO_N)][$(L.B)] stay in the
 * thread's cache-sized scratch; the forward's conv rows [$(L.KB)][$(L.WT)][$(L.W)][$(L.B)]
 * then go through the same epilogue as the direct algorithm's.
@ if L.wino_fwd and L.WFI > 1 then
 * The forward takes $(L.WFI) whole images at a time instead ($(L.name)_wino_images, the
 * tuning file's wfg): one call per position and block over their $(L.WFI * L.TH * L.TW) tiles.
@ elseif L.wino_fwd and L.WFG > 1 then
 * The forward takes $(L.WFG) tile rows at a time instead ($(L.name)_wino_group, the
 * tuning file's wfg): one call per position and block over their $(L.WFG * L.TW) tiles.
@ end
@ if L.wino_bwd_d and L.WDG > 1 then
 * Backward-data takes $(L.WDG) tile rows at a time ($(L.name)_wino_group, the tuning
 * file's wdg): one call per position and block over their $(L.WDG * L.TW) tiles.
@ end
@ if L.WINO_TAIL > 0 then
 * No chunk size within the cache budget divides the row: its last chunk has
 * $(L.WINO_TAIL) tiles, with a kernel of its own (n=$(L.WINO_TAIL)).
@ end
@ if L.EDGE_W > 0 or L.EDGE_H > 0 then
 * The output, $(L.H)x$(L.W), ends in partial tiles ($(L.EDGE_H) rows, $(L.EDGE_W) columns): an edge
 * tile is read over zeros past the image and only its pixels inside are
 * written.
@ end
 */

@ if L.EDGE_W > 0 or L.EDGE_H > 0 then
/* A tile of `side` x `side` vectors of B from src (rows `row` floats
 * apart) cut to its first `rows` x `cols` and the rest zero, into e
 * [side][side][B]: the image's edge tiles, whose pixels past the border
 * must not reach the transforms (a finite garbage value would still spread
 * into the tile's pixels inside by rounding). */
static inline void $(L.name)_wino_edge(const float *src, size_t row, int rows, int cols, int side, float *restrict e)
{
    enum { B = $(L.B) };
    for (int i = 0; i < side; i++)
        for (int j = 0; j < side; j++)
            for (int b = 0; b < B; b++)
                e[(i * side + j) * B + b] = i < rows && j < cols ? src[i * row + j * B + b] : 0.0f;
}
@ end

/* The conv rows of tile row ty inside the image: $(L.WT)$(L.EDGE_H > 0 and (", " .. L.EDGE_H .. " in the last") or ""). */
static inline int $(L.name)_wino_rows(int ty)
{
    enum { H = $(L.H), T = $(L.WT) };
    return H - T * ty < T ? H - T * ty : T;
}

/* From one position of a chunk's V (blocks = IB) or M (blocks = OB) to the next. */
static inline size_t $(L.name)_wino_next(int blocks)
{
    enum { B = $(L.B), NC = $(L.WINO_N), WPAD = $(L.WPAD) };
    return (size_t)blocks * NC * B + WPAD;
}

/* B^T over the column of A pixels at d (rows `row` floats apart) into y
 * (results ys apart), of which only the first `rows` lie inside the
 * bordered image and the rest are zeros: the last tile row's, when the
 * image ends in a partial tile. */
static inline void $(L.name)_wino_column(const float *d, size_t row, int rows, float *restrict y, size_t ys)
{
    enum { B = $(L.B), A = $(L.WA) };
    if (rows >= A) {
        hep_wino$(L.WT)_input(d, row, y, ys, B);
        return;
    }
    float e[A][B];
    for (int i = 0; i < A; i++)
        for (int b = 0; b < B; b++) e[i][b] = i < rows ? d[i * row + b] : 0.0f;
    hep_wino$(L.WT)_input(e[0], B, y, ys, B);
}

/* Asks, for writing, for the lines of V that step (ib, s0) of
 * _wino_input_to stores its tiles' $(L.WP) positions to (s0 past the chunk:
 * block ib+1's first), one step ahead. Those runs lie `next` floats apart,
 * no hardware prefetcher follows them, and they come back from L2 or L3,
 * where the products that read them last left them: every line of V leaves
 * L1 (the transforms wait on their stores), and this lets the next step's
 * misses overlap this step's work. */
static inline void $(L.name)_wino_input_ahead(int IB, int nc, int ib, int s0, const float *V, size_t next,
                                              size_t block)
{
    enum { B = $(L.B), A = $(L.WA), SUB = $(L.WINO_SUB) };
    if (s0 >= nc) ib++, s0 = 0;
    if (ib >= IB) return;
    const int tiles = nc - s0 < SUB ? nc - s0 : SUB;
    hep_prefetch_runs_write(V + ib * block + (size_t)s0 * B, next, A * A, (size_t)tiles * B);
}

/* V = B^T d B for the nc tiles t0 .. t0+nc-1 of the tile row ty (conv rows
 * $(L.WT)ty .. $(L.WT)ty+$(L.WT - 1)), from one image's zero-bordered src [IB][H+2][W+2][B]: the
 * input (forward, backward-weights) or the output gradient (backward-data).
 * Tile tx of block ib at position xi goes to V + xi * next + ib * block + tx * B:
 * V [$(L.WP)][IB][NC][B] with next = IB * NC * B + WPAD and block = NC * B.
 * Neighbouring tiles share $(L.WA - L.WT) columns, so B^T goes over the columns of up to
 * SUB tiles at once ($(L.WT) SUB + $(L.WA - L.WT) columns, not $(L.WA) SUB) into a buffer that stays in
 * L1, and B over each tile's rows from there. Columns past the bordered
 * image are zeros, and so are their transforms.
@ if L.WPAD > 0 then
 * The $(L.WPAD) floats of padding after each position keep a tile's $(L.WP) positions,
 * stored one after the other, off a single L1 set: unpadded they would lie
 * a multiple of 4 KiB apart (hep64's input transform took 1.7x as long).
@ end
 */
static inline void $(L.name)_wino_input_to(const float *src, int IB, int ty, int t0, int nc, float *restrict V,
                                           size_t next, size_t block)
{
    enum { H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT), A = $(L.WA),
           SUB = $(L.WINO_SUB), COLS = T * SUB + A - T };
    const size_t row = (W + 2) * B;
    const int rows = H + 2 - T * ty < A ? H + 2 - T * ty : A;   /* inside the bordered image */
    for (int ib = 0; ib < IB; ib++)
        for (int s0 = 0; s0 < nc; s0 += SUB) {
            const int tiles = nc - s0 < SUB ? nc - s0 : SUB, x0 = T * (t0 + s0);
            const float *d = src + ((ib * (H + 2) + T * ty) * (W + 2) + x0) * B;
            $(L.name)_wino_input_ahead(IB, nc, ib, s0 + SUB, V, next, block);
            float t[A][COLS][B];   /* B^T d: columns combined */
            for (int c = 0; c < T * tiles + A - T; c++) {
                if (x0 + c < W + 2)
                    $(L.name)_wino_column(d + c * B, row, rows, t[0][c], COLS * B);
                else
                    for (int i = 0; i < A; i++)
                        for (int b = 0; b < B; b++) t[i][c][b] = 0.0f;
            }
            for (int tx = 0; tx < tiles; tx++) {
                float *v = V + ib * block + (size_t)(s0 + tx) * B;
                for (int i = 0; i < A; i++) hep_wino$(L.WT)_input(t[i][T * tx], B, v + i * A * next, next, B);
            }
        }
}

static inline void $(L.name)_wino_input(const float *src, int IB, int ty, int t0, int nc, float *restrict V)
{
    enum { B = $(L.B), NC = $(L.WINO_N) };
    $(L.name)_wino_input_to(src, IB, ty, t0, nc, V, $(L.name)_wino_next(IB), (size_t)NC * B);
}

@ if L.wino_fwd or L.wino_bwd_d then
/* U [$(L.WP)][OB][IB][B in][B out] = G g G^T for every channel pair, from
 * weights [OB][IB][3][3][B in][B out]: the forward's (OB = KB output
 * blocks), or backward-data's flipped, transposed ones (OB = CB). */
static void $(L.name)_wino_weights(const float *weight, float *U, int OB, int IB)
{
    enum { B = $(L.B), A = $(L.WA) };
#pragma omp parallel for collapse(2) schedule(static)
    for (int ob = 0; ob < OB; ob++)
        for (int ib = 0; ib < IB; ib++)
            for (int ci = 0; ci < B; ci++) {
                const float *g = weight + (((size_t)ob * IB + ib) * 9 * B + ci) * B;   /* tap (r, s) at g + (3r + s) B B */
                const size_t next = (size_t)OB * IB * B * B;                       /* one position to the next */
                float gg[A][3][B];                                                 /* G g */
                /* the next channel's $(L.WP) runs, as in _wino_input_ahead */
                hep_prefetch_runs_write(U + (((size_t)ob * IB + ib) * B + ci + 1) * B, next, A * A, B);
                for (int s = 0; s < 3; s++) hep_wino$(L.WT)_weights(g + s * B * B, 3 * B * B, gg[0][s], 3 * B, B);
                for (int i = 0; i < A; i++)
                    hep_wino$(L.WT)_weights(gg[i][0], B, U + (i * A * next) + (((size_t)ob * IB + ib) * B + ci) * B, next, B);
            }
}

/* The first `rows` of the $(L.WT) rows of the chunk's nc tiles (t0 on) in output
 * blocks `part`, A^T M A, from the products M [$(L.WP)][OB][tiles][B] (positions `next`
 * floats apart, blocks `tiles` B): block ob's row i
 * pixel x at dst + (ob * block + i * row + x) * B, x counted from the
 * chunk's first pixel. */
static inline void $(L.name)_wino_output(const float *restrict M, size_t next, size_t tiles, hep_blocks part, int t0,
                                         int nc, int rows, float *restrict dst, size_t block, size_t row)
{
    enum { B = $(L.B), T = $(L.WT), A = $(L.WA), W = $(L.W) };
    for (int ob = part.first; ob < part.end; ob++)
        for (int tx = 0; tx < nc; tx++) {
            const float *mm = M + ((size_t)ob * tiles + tx) * B;
            float *out = dst + ((size_t)ob * block + T * tx) * B;
            float s[T][A][B];   /* A^T M: rows combined */
            for (int j = 0; j < A; j++) hep_wino$(L.WT)_output(mm + j * next, A * next, s[0][j], A * B, B);
@ if L.EDGE_W > 0 or L.EDGE_H > 0 then
            const int cols = W - T * (t0 + tx) < T ? W - T * (t0 + tx) : T;
            if (cols < T || rows < T) {   /* an edge tile: its pixels inside only */
                float o[T][T][B];
                for (int i = 0; i < T; i++) hep_wino$(L.WT)_output(s[i][0], B, o[i][0], B, B);
                for (int i = 0; i < rows; i++)
                    for (int x = 0; x < cols; x++)
                        for (int b = 0; b < B; b++) out[(i * row + x) * B + b] = o[i][x][b];
                continue;
            }
@ else
            (void)t0, (void)rows;
@ end
            for (int i = 0; i < T; i++) hep_wino$(L.WT)_output(s[i][0], B, out + i * row * B, B, B);
        }
}

/* M [$(L.WP)][OB][NC][B]: the transformed-domain products of U [$(L.WP)][OB][IB][B][B]
 * and V [$(L.WP)][IB][NC][B] for output blocks `part`, one batch-reduce call per position
 * and output block. */
static inline void $(L.name)_wino_products(const hep_model *m, const float *U, const float *V, float *M, int OB,
                                            hep_blocks part, int IB, int nc)
{
    enum { B = $(L.B), P = $(L.WP), NC = $(L.WINO_N) };
    const unsigned long long blocks = (unsigned long long)IB;
    const size_t v_next = $(L.name)_wino_next(IB), m_next = $(L.name)_wino_next(OB);
@ if L.WINO_TAIL > 0 then
    libxsmm_smmfunction_reducebatch_strd products = nc == NC ? m->$(L.name)_wino : m->$(L.name)_wino_tail;
@ else
    libxsmm_smmfunction_reducebatch_strd products = m->$(L.name)_wino;
    (void)nc;
@ end
    for (int xi = 0; xi < P; xi++)
        for (int ob = part.first; ob < part.end; ob++)
            products(U + (((size_t)xi * OB + ob) * IB) * B * B, V + xi * v_next, M + xi * m_next + (size_t)ob * NC * B,
                     &blocks);
}

/* One tile row of a pass from the bordered src [IB][H+2][W+2][B] into output
 * blocks `part` of dst (see $(L.name)_wino_output), chunk by chunk through the
 * thread's scratch. */
static inline void $(L.name)_wino_row(const hep_model *m, float *scratch, const float *U, const float *src, int IB,
                                      int OB, hep_blocks part, int ty, float *dst, size_t block, size_t row)
{
    enum { B = $(L.B), T = $(L.WT), P = $(L.WP), NC = $(L.WINO_N), TW = $(L.TW) };
    float *V = scratch, *M = V + P * $(L.name)_wino_next(IB);
    for (int t0 = 0; t0 < TW; t0 += NC) {
        const int nc = TW - t0 < NC ? TW - t0 : NC;
        $(L.name)_wino_input(src, IB, ty, t0, nc, V);
        $(L.name)_wino_products(m, U, V, M, OB, part, IB, nc);
        $(L.name)_wino_output(M, $(L.name)_wino_next(OB), NC, part, t0, nc, $(L.name)_wino_rows(ty),
                              dst + (size_t)T * t0 * B, block, row);
    }
}
@ end

@ if (L.wino_fwd and L.WFG * L.WFI > 1) or (L.wino_bwd_d and L.WDG * L.WDI > 1) then
/* The products M [$(L.WP)][OB][gn][B] of a group's gn tiles in V [$(L.WP)][IB][gn][B] for
 * output blocks `part`, each position `pad` floats past its blocks: one call
 * of `products` (n = gn) per position and block. */
static inline void $(L.name)_wino_group_products(libxsmm_smmfunction_reducebatch_strd products, const float *U,
                                                 const float *V, float *M, int IB, int OB, hep_blocks part,
                                                 size_t gn, int pad)
{
    enum { B = $(L.B), P = $(L.WP) };
    const size_t v_next = IB * gn * B + pad, m_next = OB * gn * B + pad;
    const unsigned long long blocks = (unsigned long long)IB;
    for (int xi = 0; xi < P; xi++)
        for (int ob = part.first; ob < part.end; ob++)
            products(U + (((size_t)xi * OB + ob) * IB) * B * B, V + xi * v_next, M + xi * m_next + ob * gn * B,
                     &blocks);
}
@ end

@ if (L.wino_fwd and L.WFG > 1) or (L.wino_bwd_d and L.WDG > 1) then
/* A group of g whole tile rows ty0 .. ty0+g-1 of one image, transformed
 * together from the bordered src [IB][H+2][W+2][B] into the thread's scratch,
 * V [$(L.WP)][IB][g $(L.TW)][B], and their products M [$(L.WP)][OB][g $(L.TW)][B] for output blocks
 * `part`, each position `pad` floats past its blocks: one call of `products`
 * (n = g $(L.TW)) per position and block over the whole group, so that each
 * block of U, $(L.WP * L.K * L.C * 4 // 1024) KiB in all and read back from L3 or memory by every
 * group, serves g rows of tiles, not one (the forward's wfg, backward-data's
 * wdg in the tuning file). Returns M. */
static inline float *$(L.name)_wino_group(libxsmm_smmfunction_reducebatch_strd products, float *scratch,
                                          const float *U, const float *src, int IB, int OB, hep_blocks part, int ty0,
                                          int g, int pad)
{
    enum { B = $(L.B), P = $(L.WP), TW = $(L.TW) };
    const size_t gn = (size_t)g * TW, v_next = IB * gn * B + pad;
    float *V = scratch, *M = V + P * v_next;
    for (int r = 0; r < g; r++) $(L.name)_wino_input_to(src, IB, ty0 + r, 0, TW, V + (size_t)r * TW * B, v_next, gn * B);
    $(L.name)_wino_group_products(products, U, V, M, IB, OB, part, gn, pad);
    return M;
}
@ end

@ if L.wino_fwd and L.WFI > 1 then
/* The forward's group of `images` whole images (at most $(L.WFI), the tuning
 * file's wfg of $(L.WFI * L.TH) tile rows) from src, the first one's bordered input
 * [CB][H+2][W+2][B]: their $(L.WFI * L.TH * L.TW) tiles transformed together into the thread's
 * scratch, V [$(L.WP)][CB][tiles][B], and their products M [$(L.WP)][KB][tiles][B] for output
 * blocks `part`, one call per position and block over all the group's
 * tiles, so that each block of U, read back from L3 by every group, serves
 * $(L.WFI) images, not one. The batch's last group may hold fewer images: its
 * other tiles' V is zero, their products computed and never read. Returns M. */
static inline float *$(L.name)_wino_images(const hep_model *m, float *scratch, const float *src, int images,
                                           hep_blocks part)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), P = $(L.WP), TH = $(L.TH), TW = $(L.TW),
           IMAGES = $(L.WFI), GN = IMAGES * TH * TW, PAD = $(L.WPAD_F), V_NEXT = CB * GN * B + PAD,
           IN_IMAGE = CB * (H + 2) * (W + 2) * B };
    float *V = scratch, *M = V + (size_t)P * V_NEXT;
    for (int im = 0; im < images; im++)
        for (int ty = 0; ty < TH; ty++)
            $(L.name)_wino_input_to(src + (size_t)im * IN_IMAGE, CB, ty, 0, TW, V + (size_t)(im * TH + ty) * TW * B,
                                    V_NEXT, (size_t)GN * B);
    for (int xi = 0; images < IMAGES && xi < P; xi++)
        for (int cb = 0; cb < CB; cb++)
            memset(V + (size_t)xi * V_NEXT + ((size_t)cb * GN + (size_t)images * TH * TW) * B, 0,
                   sizeof(float) * (size_t)(IMAGES - images) * TH * TW * B);
    $(L.name)_wino_group_products(m->$(L.name)_wino_group, m->$(L.name)_wino_u, V, M, CB, KB, part, GN, PAD);
    return M;
}
@ end

@ if L.wino_fwd then
/* The epilogue of tile row ty's conv rows [KB][$(L.WT)][W][B], output blocks kbs. */
static inline void $(L.name)_wino_epilogue(hep_model *m, float *rows, int n, int ty, hep_blocks kbs,
                                           const float *bias, const hep_dropout *drop, const hep_pass *pass)
{
    enum { W = $(L.W), B = $(L.B), T = $(L.WT) };
    const int valid = $(L.name)_wino_rows(ty);
    for (int kb = kbs.first; kb < kbs.end; kb++)
@ if L.pool then
        for (int i = 0; i < valid; i += 2)   /* two conv rows make one pooled row */
            $(L.name)_epilogue(m, rows + ((size_t)kb * T + i) * W * B, n, kb, (T * ty + i) / 2, bias + kb * B, drop,
                               pass);
@ else
        for (int i = 0; i < valid; i++)
            $(L.name)_epilogue(m, rows + ((size_t)kb * T + i) * W * B, n, kb, T * ty + i, bias + kb * B, drop, pass);
@ end
}

@ if L.WFI > 1 then
/* The conv, from the weights already transformed into U, then the epilogue,
 * for every image: by groups of $(L.WFI) whole images, and with fewer groups
 * than threads by parts of their output blocks. */
static void $(L.name)_wino_forward_images(hep_model *m, int n_images, const float *bias, const hep_dropout *drop,
                                          const hep_pass *pass)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT), P = $(L.WP),
           TW = $(L.TW), IMAGES = $(L.WFI), TH = $(L.TH), GN = IMAGES * TH * TW, PAD = $(L.WPAD_F),
           M_NEXT = KB * GN * B + PAD, IN_IMAGE = CB * (H + 2) * (W + 2) * B };
    const int image_groups = (n_images + IMAGES - 1) / IMAGES;
    const int parts = hep_block_parts((long)image_groups, m->threads, KB);
#pragma omp parallel
    {
#pragma omp for collapse(2) schedule(static) nowait
        for (int grp = 0; grp < image_groups; grp++)
            for (int part = 0; part < parts; part++) {
                const hep_blocks kbs = hep_block_part(KB, part, parts);
                const int n0 = grp * IMAGES, images = n_images - n0 < IMAGES ? n_images - n0 : IMAGES;
                float *scratch = m->thread[omp_get_thread_num()].wino;
                const float *M = $(L.name)_wino_images(m, scratch, m->$(L.in_buf) + (size_t)n0 * IN_IMAGE, images, kbs);
                float *rows = scratch + P * ((size_t)(CB + KB) * GN * B + 2 * PAD);   /* [KB][T][W][B] */
                for (int im = 0; im < images; im++)
                    for (int ty = 0; ty < TH; ty++) {
                        $(L.name)_wino_output(M + (size_t)(im * TH + ty) * TW * B, M_NEXT, GN, kbs, 0, TW,
                                              $(L.name)_wino_rows(ty), rows, (size_t)T * W, W);
                        $(L.name)_wino_epilogue(m, rows, n0 + im, ty, kbs, bias, drop, pass);
                    }
            }
        hep_streaming_stores_done();   /* the epilogue's, before the region's closing barrier */
    }
}
@ else
/* The conv, from the weights already transformed into U, then the epilogue,
 * for every image: by $(L.WFG > 1 and ("groups of " .. L.WFG .. " tile rows") or "tile rows"), and with fewer of them
 * than threads by parts of their output blocks. */
static void $(L.name)_wino_forward_rows(hep_model *m, int n_images, const float *bias, const hep_dropout *drop,
                                        const hep_pass *pass)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT), P = $(L.WP),
           TW = $(L.TW), G = $(L.WFG), GROUPS = $(L.TH // L.WFG), IN_IMAGE = CB * (H + 2) * (W + 2) * B };
    const int parts = hep_block_parts((long)n_images * GROUPS, m->threads, KB);
#pragma omp parallel
    {
#pragma omp for collapse(3) schedule(static) nowait
        for (int n = 0; n < n_images; n++)
            for (int grp = 0; grp < GROUPS; grp++)
                for (int part = 0; part < parts; part++) {
                    const hep_blocks kbs = hep_block_part(KB, part, parts);
                    const float *src = m->$(L.in_buf) + (size_t)n * IN_IMAGE;
                    float *scratch = m->thread[omp_get_thread_num()].wino;
@ if L.WFG > 1 then
                    enum { GN = G * TW, PAD = $(L.WPAD_F), M_NEXT = KB * GN * B + PAD };
                    float *M = $(L.name)_wino_group(m->$(L.name)_wino_group, scratch, m->$(L.name)_wino_u, src, CB, KB,
                                                    kbs, G * grp, G, PAD);
                    float *rows = scratch + P * ((size_t)CB * GN * B + PAD + M_NEXT);   /* [KB][T][W][B] */
                    for (int g = 0; g < G; g++) {
                        const int ty = G * grp + g;
                        $(L.name)_wino_output(M + (size_t)g * TW * B, M_NEXT, GN, kbs, 0, TW, $(L.name)_wino_rows(ty),
                                              rows, (size_t)T * W, W);
                        $(L.name)_wino_epilogue(m, rows, n, ty, kbs, bias, drop, pass);
                    }
@ else
                    float *rows = scratch + P * ($(L.name)_wino_next(CB) + $(L.name)_wino_next(KB));   /* [KB][T][W][B] */
                    $(L.name)_wino_row(m, scratch, m->$(L.name)_wino_u, src, CB, KB, kbs, grp, rows, (size_t)T * W, W);
                    $(L.name)_wino_epilogue(m, rows, n, grp, kbs, bias, drop, pass);
@ end
                }
        hep_streaming_stores_done();   /* the epilogue's, before the region's closing barrier */
    }
}
@ end

/* The conv with `weight` and `bias`, then the epilogue, for every image. */
static void $(L.name)_wino_forward(hep_model *m, int n_images, const float *weight, const float *bias,
                                   const hep_pass *pass)
{
    enum { CB = $(L.CB), KB = $(L.KB) };
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    $(L.name)_wino_weights(weight, m->$(L.name)_wino_u, KB, CB);
    $(L.name)_wino_forward_$(L.WFI > 1 and "images" or "rows")(m, n_images, bias, &drop, pass);
}

@ if not L.bn then
static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    $(L.name)_wino_forward(m, n_images, m->params + $(L.w_off), m->params + $(L.b_off), pass);
}
@ else
/* Batch norm's sums of the output rows of image n's tile row ty, blocks kbs. */
static inline void $(L.name)_bn_tile_row_sums(hep_model *m, int n, int ty, hep_blocks kbs)
{
    enum { T = $(L.WT), ROWS = $(L.pool and 2 or 1) };
    for (int kb = kbs.first; kb < kbs.end; kb++)
        for (int p = T * ty / ROWS; p < (T * ty + $(L.name)_wino_rows(ty)) / ROWS; p++) $(L.name)_bn_row_sums(m, n, kb, p);
}

/* Batch norm's training pass 1 (conv_epilogue.c): the conv output of the
 * whole batch into $(L.name)_pre, written by the output transform directly, and
 * the sums of each output row once its tile row is done; by $(L.WFG > 1 and ("groups of " .. L.WFG .. " tile rows") or "tile rows"), or
 * parts of them, as the forward. */
static void $(L.name)_bn_conv(hep_model *m, int n_images)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT), TW = $(L.TW),
           G = $(L.WFG), GROUPS = $(L.TH // L.WFG), IN_IMAGE = CB * (H + 2) * (W + 2) * B };
    $(L.name)_wino_weights(m->params + $(L.w_off), m->$(L.name)_wino_u, KB, CB);
    const int parts = hep_block_parts((long)n_images * GROUPS, m->threads, KB);
#pragma omp parallel for collapse(3) schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int grp = 0; grp < GROUPS; grp++)
            for (int part = 0; part < parts; part++) {
                const hep_blocks kbs = hep_block_part(KB, part, parts);
                const float *src = m->$(L.in_buf) + (size_t)n * IN_IMAGE;
                float *scratch = m->thread[omp_get_thread_num()].wino;
                float *pre = m->$(L.name)_pre + (size_t)n * KB * H * W * B;   /* the image's [KB][H][W][B] */
@ if L.WFG > 1 then
                enum { GN = G * TW, PAD = $(L.WPAD_F), M_NEXT = KB * GN * B + PAD };
                const float *M = $(L.name)_wino_group(m->$(L.name)_wino_group, scratch, m->$(L.name)_wino_u, src, CB,
                                                      KB, kbs, G * grp, G, PAD);
                for (int g = 0; g < G; g++) {
                    const int ty = G * grp + g;
                    $(L.name)_wino_output(M + (size_t)g * TW * B, M_NEXT, GN, kbs, 0, TW, $(L.name)_wino_rows(ty),
                                          pre + (size_t)T * ty * W * B, (size_t)H * W, W);
                    $(L.name)_bn_tile_row_sums(m, n, ty, kbs);
                }
@ else
                $(L.name)_wino_row(m, scratch, m->$(L.name)_wino_u, src, CB, KB, kbs, grp, pre + (size_t)T * grp * W * B,
                                   (size_t)H * W, W);
                $(L.name)_bn_tile_row_sums(m, n, grp, kbs);
@ end
            }
}

/* Inference: the conv with the running averages folded into its weights. */
static void $(L.name)_forward_folded(hep_model *m, int n_images, const hep_pass *pass)
{
    $(L.name)_wino_forward(m, n_images, m->$(L.name)_wfold, m->$(L.name)_wfold + $(L.K * L.C * 9), pass);
}
@ end
@ end

@ if L.wino_bwd_d then
/* Backward-data of $(L.WDG > 1 and ("the group of " .. L.WDG .. " tile rows ty0 .. ty0+" .. (L.WDG - 1)) or "tile row ty0") (din's bordered rows from
 * $(L.WT)ty0+1), input blocks `cbs`, from the thread's output gradient dy
 * [KB][H+2][W+2][B], by the same algorithm over the flipped, transposed weights. */
static inline void $(L.name)_wino_data_rows(hep_model *m, hep_thread *t, const float *dy, float *din, int ty0,
                                            hep_blocks cbs)
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT) };
@ if L.WDG > 1 then
    enum { TW = $(L.TW), G = $(L.WDG), GN = G * TW, PAD = $(L.WPAD_D), M_NEXT = CB * GN * B + PAD };
    const float *M = $(L.name)_wino_group(m->$(L.name)_wino_data_group, t->wino, m->$(L.name)_wino_ub, dy, KB, CB,
                                          cbs, ty0, G, PAD);
    for (int g = 0; g < G; g++)
        $(L.name)_wino_output(M + (size_t)g * TW * B, M_NEXT, GN, cbs, 0, TW, $(L.name)_wino_rows(ty0 + g),
                              din + ((T * (ty0 + g) + 1) * (W + 2) + 1) * B, (size_t)(H + 2) * (W + 2), W + 2);
@ else
    $(L.name)_wino_row(m, t->wino, m->$(L.name)_wino_ub, dy, KB, CB, cbs, ty0,
                       din + ((T * ty0 + 1) * (W + 2) + 1) * B, (size_t)(H + 2) * (W + 2), W + 2);
@ end
}
@ if L.WDI == 2 then

/* Backward-data of two whole images at once (the tuning file's wdg of
 * $(L.WDI * L.TH) tile rows; the backward takes its images in pairs then, templates/model.c):
 * the $(L.WDI * L.TH * L.TW) tiles of their output gradients dy[0], dy[1] [KB][H+2][W+2][B]
 * transformed together, one product call per position and block over all of
 * them, so that each block of the flipped weights' U, read back from L3 for
 * every group, serves two images, not one; into din[0], din[1]. */
static void $(L.name)_wino_data_images(hep_model *m, hep_thread *t, const float *const dy[2], float *const din[2])
{
    enum { CB = $(L.CB), KB = $(L.KB), H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT), P = $(L.WP), TH = $(L.TH),
           TW = $(L.TW), GN = 2 * TH * TW, PAD = $(L.WPAD_DI), V_NEXT = KB * GN * B + PAD, M_NEXT = CB * GN * B + PAD };
    const double t0 = omp_get_wtime();
    float *V = t->wino, *M = V + (size_t)P * V_NEXT;
    for (int im = 0; im < 2; im++)
        for (int ty = 0; ty < TH; ty++)
            $(L.name)_wino_input_to(dy[im], KB, ty, 0, TW, V + (size_t)(im * TH + ty) * TW * B, V_NEXT, (size_t)GN * B);
    $(L.name)_wino_group_products(m->$(L.name)_wino_data_images, m->$(L.name)_wino_ub, V, M, KB, CB,
                                  (hep_blocks){ 0, CB }, GN, PAD);
    for (int im = 0; im < 2; im++)
        for (int ty = 0; ty < TH; ty++)
            $(L.name)_wino_output(M + (size_t)(im * TH + ty) * TW * B, M_NEXT, GN, (hep_blocks){ 0, CB }, 0, TW,
                                  $(L.name)_wino_rows(ty), din[im] + ((T * ty + 1) * (W + 2) + 1) * B,
                                  (size_t)(H + 2) * (W + 2), W + 2);
    t->bwd_d[$(L.index0)] += omp_get_wtime() - t0;
}
@ end
@ end

@ if L.wino_bwd_w then
/* ---- $(L.name) backward-weights by Winograd F($(L.WT)x$(L.WT),3x3) ----
 * The gradient of Y = A^T [U . V] A with respect to U is dU = (A dY A^T) . V,
 * summed over tiles and images: per position $(L.WP) GEMMs [K x tiles] x
 * [tiles x C], accumulated in the thread's dU [$(L.WP)][$(L.KB)][$(L.CB)][$(L.B) c][$(L.B) k] (t->wgrad) over
 * all its images; the weight gradient G^T dU G is taken once per batch.
@ if L.WI > 1 then
 * The thread's images go in groups of $(L.WI) ($(L.WG * L.TW) tiles): each image's tiles are
 * transformed $(L.WINO_N) at a time into the group's own scratch (t->wgroup), and once
 * the group is full, or the thread's last image is in, one batch-reduce call
 * per position and block pair runs over the group's chunks (m=$(L.B), n=$(L.B),
 * k=$(L.WK)). One image has only $(L.TH * L.TW) tiles, so that a call per image would
 * spend much of its time loading and storing its dU block (hep64's conv3,
 * native code: 9.4-11.8 ms per batch by 4 images, 10.9-14.1 by the image). */
@ else
 * An image's tiles go in groups of $(L.WG) tile rows ($(L.WG * L.TW) tiles), transformed $(L.WINO_N) at a time
 * into the thread's scratch; then one batch-reduce call over the group's
 * chunks per position and block pair (m=$(L.B), n=$(L.B), k=$(L.WK)). The chunks
 * lie back to back, but one GEMM over the group's tiles (k=$(L.WG * L.TW)) was
 * 2-12% slower on hep64. */
@ end

/* dM = A dY A^T for the chunk's nc tiles of tile row ty, output blocks kbs,
 * from the thread's zero-bordered output gradient dy [KB][H+2][W+2][B]; tile
 * tx of block kb at position xi goes to dM + xi * next + kb * block + tx * B. */
static inline void $(L.name)_wino_grad_input(const float *dy, int ty, int t0, int nc, hep_blocks kbs,
                                             float *restrict dM, size_t next, size_t block)
{
    enum { H = $(L.H), W = $(L.W), B = $(L.B), T = $(L.WT), A = $(L.WA) };
    for (int kb = kbs.first; kb < kbs.end; kb++)
        for (int tx = 0; tx < nc; tx++) {
            const float *d = dy + ((kb * (H + 2) + T * ty + 1) * (W + 2) + T * (t0 + tx) + 1) * B;
            size_t row = (W + 2) * B;
@ if L.EDGE_W > 0 or L.EDGE_H > 0 then
            float e[T][T][B];
            const int cols = W - T * (t0 + tx) < T ? W - T * (t0 + tx) : T, rows = $(L.name)_wino_rows(ty);
            if (cols < T || rows < T) {   /* an edge tile: zero gradient past the image */
                $(L.name)_wino_edge(d, row, rows, cols, T, e[0][0]);
                d = e[0][0], row = T * B;
            }
@ end
            /* the lines of dM the next tile's $(L.WP) positions go to, as in _wino_input_ahead */
            hep_prefetch_runs_write(dM + (tx + 1 < nc ? kb * block + (size_t)(tx + 1) * B : (kb + 1) * block), next,
                                    A * A, B);
            float s[A][T][B];   /* A dY: columns expanded */
            for (int c = 0; c < T; c++) hep_wino$(L.WT)_output_grad(d + c * B, row, s[0][c], T * B, B);
            for (int i = 0; i < A; i++)
                hep_wino$(L.WT)_output_grad(s[i][0], B, dM + i * A * next + kb * block + (size_t)tx * B, next, B);
        }
}

/* A group's scratch: its transformed tiles V [$(L.WP)][CB][TILES][B], then dM
 * [$(L.WP)][KB][TILES][B], each position padded by WPAD floats (as in the
 * forward), so that each product call reads two contiguous runs (chunk-major,
 * one call read a strided 1 KiB from every chunk). */
enum { $(L.name)_WGROUP_TILES = $(L.WG * L.TW),
       $(L.name)_WGROUP_V_NEXT = $(L.CB) * $(L.WG * L.TW) * $(L.B) + $(L.WPAD_W),   /* positions apart */
       $(L.name)_WGROUP_M_NEXT = $(L.KB) * $(L.WG * L.TW) * $(L.B) + $(L.WPAD_W),
       $(L.name)_WGROUP_M = $(L.WP) * $(L.name)_WGROUP_V_NEXT };   /* where dM starts */

/* The products of a group's first `chunks` chunks of WK tiles, output
 * blocks kbs, into the thread's dU. The products wait on dU's traffic (each group's calls
 * reread and rewrite all of it: hep224's conv2 ran them at about 66% of the
 * peak), yet a dU for the whole team, its positions shared out and each
 * block reduced over every thread's group, was slower: each thread then
 * reads half of the others' groups from their cores' caches, and that
 * layer's backward-weights took 52-54 ms a step against 38-40 (make bench's
 * bench_model, 4 pairs, 2 threads on a Zen 5 core pair). */
static void $(L.name)_wino_weight_products(const hep_model *m, hep_thread *t, const float *V, hep_blocks kbs,
                                           unsigned long long chunks)
{
    enum { CB = $(L.CB), KB = $(L.KB), B = $(L.B), P = $(L.WP), TILES = $(L.name)_WGROUP_TILES,
           V_NEXT = $(L.name)_WGROUP_V_NEXT, M_NEXT = $(L.name)_WGROUP_M_NEXT };
    const float *dM = V + $(L.name)_WGROUP_M;
    float *dU = t->wgrad + $(L.wgrad_off);
    for (int xi = 0; xi < P; xi++)
        for (int kb = kbs.first; kb < kbs.end; kb++)
            for (int cb = 0; cb < CB; cb++) {
                /* dU's blocks are taken in memory order, and every image's backward
                 * passes through all layers, so they come back from L3: the next
                 * call's block is prefetched while the kernel works on this one. */
                float *dU_blk = dU + (((size_t)xi * KB + kb) * CB + cb) * B * B;
                hep_prefetch_floats(dU_blk + B * B, B * B);
                m->$(L.name)_wino_bwd_w(dM + (size_t)xi * M_NEXT + (size_t)kb * TILES * B,
                                        V + (size_t)xi * V_NEXT + (size_t)cb * TILES * B, dU_blk, &chunks);
            }
}

/* Transforms tile rows ty0 .. ty0+rows-1 of an image, from its input in
 * [CB][H+2][W+2][B] and output gradient dy (both zero-bordered, dy's blocks
 * kbs only), into the group's scratch V from its tile `first` on. */
static void $(L.name)_wino_weight_transforms(const float *in, const float *dy, int ty0, int rows, hep_blocks kbs,
                                             float *V, size_t first)
{
    enum { B = $(L.B), NC = $(L.WINO_N), TW = $(L.TW), CB = $(L.CB), TILES = $(L.name)_WGROUP_TILES,
           V_NEXT = $(L.name)_WGROUP_V_NEXT, M_NEXT = $(L.name)_WGROUP_M_NEXT };
    float *dM = V + $(L.name)_WGROUP_M;
    for (int g = 0; g < rows; g++)
        for (int t0 = 0; t0 < TW; t0 += NC) {
            const int nc = TW - t0 < NC ? TW - t0 : NC;
            size_t tile = (first + (size_t)g * TW + t0) * B;   /* the chunk's first tile */
            $(L.name)_wino_input_to(in, CB, ty0 + g, t0, nc, V + tile, V_NEXT, (size_t)TILES * B);
            $(L.name)_wino_grad_input(dy, ty0 + g, t0, nc, kbs, dM + tile, M_NEXT, (size_t)TILES * B);
        }
}

@ if L.WI > 1 then
/* One image's contribution to the thread's dU: its tiles join the group. */
static void $(L.name)_wino_weight_grad_image(const hep_model *m, hep_thread *t, const float *in, const float *dy)
{
    enum { TH = $(L.TH), TW = $(L.TW), IMAGES = $(L.WI), WK = $(L.WK) };
    float *V = t->wgroup + $(L.wgroup_off);
    int *waiting = &t->wgroup_images[$(L.index0)];
    const hep_blocks kbs = { 0, $(L.KB) };
    $(L.name)_wino_weight_transforms(in, dy, 0, TH, kbs, V, (size_t)*waiting * TH * TW);
    if (++*waiting == IMAGES) {
        $(L.name)_wino_weight_products(m, t, V, kbs, $(L.name)_WGROUP_TILES / WK);
        *waiting = 0;
    }
}
@ else
/* One image's contribution to the thread's dU, group by group. */
static void $(L.name)_wino_weight_grad_image(const hep_model *m, hep_thread *t, const float *in, const float *dy)
{
    enum { TW = $(L.TW), TH = $(L.TH), G = $(L.WG), WK = $(L.WK) };
    const hep_blocks kbs = { 0, $(L.KB) };
    for (int ty0 = 0; ty0 < TH; ty0 += G) {
        const int rows = TH - ty0 < G ? TH - ty0 : G;   /* tile rows in this group */
        $(L.name)_wino_weight_transforms(in, dy, ty0, rows, kbs, t->wino, 0);
        $(L.name)_wino_weight_products(m, t, t->wino, kbs, (unsigned long long)rows * TW / WK);
    }
}
@ end

@ if L.WI > 1 then
/* The products of the thread's group still waiting, if any. */
static void $(L.name)_wino_weight_flush(const hep_model *m, hep_thread *t)
{
    int *waiting = &t->wgroup_images[$(L.index0)];
    if (*waiting > 0) {
        $(L.name)_wino_weight_products(m, t, t->wgroup + $(L.wgroup_off), (hep_blocks){ 0, $(L.KB) },
                                       (unsigned long long)*waiting * $(L.TH * L.TW // L.WK));
        *waiting = 0;
    }
}

@ end
/* The thread's weight gradient G^T dU G, into its private gradient copy,
 * after the products of a group still waiting; its time is the layer's
 * backward-weights time too (make tune chooses groups by that time, and
 * whole-image groups leave their last products to here). */
static void $(L.name)_wino_weight_grad_finish(const hep_model *m, hep_thread *t)
{
    enum { CB = $(L.CB), KB = $(L.KB), B = $(L.B), A = $(L.WA) };
    const double t0 = omp_get_wtime();
@ if L.WI > 1 then
    $(L.name)_wino_weight_flush(m, t);
@ else
    (void)m;
@ end
    const float *dU = t->wgrad + $(L.wgrad_off);
    float *dweight = t->grad + $(L.w_off);
    const size_t next = (size_t)KB * CB * B * B;   /* one position to the next */
    /* G^T dU, rows combined, per block pair: s [3][A][B c][B k] in the
     * thread's scratch. The first pass takes every c of one column j of
     * positions at a time: it reads the column's $(L.WA) positions as $(L.WA) runs of
     * $(L.B * L.B * 4 // 1024) KiB. Taken c by c, 256 bytes from each of the $(L.WP) positions ($(L.B * L.B * 4 * L.KB * L.CB // 1024) KiB
     * apart), the reads waited on memory: hep64's two Winograd layers took
     * 0.85-0.96 ms a step here, 0.60-0.69 so (tune_model, 3 pairs). */
    float *s = t->wino;
    for (int kb = 0; kb < KB; kb++)
        for (int cb = 0; cb < CB; cb++) {
            const float *u = dU + ((size_t)kb * CB + cb) * B * B;
            for (int j = 0; j < A; j++)
                for (int c = 0; c < B; c++)
                    hep_wino$(L.WT)_weights_grad(u + j * next + c * B, A * next, s + ((size_t)j * B + c) * B,
                                                 (size_t)A * B * B, B);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < B; c++)
                    hep_wino$(L.WT)_weights_grad(s + ((size_t)r * A * B + c) * B, (size_t)B * B,
                                                 dweight + (((size_t)kb * CB + cb) * 9 + r * 3) * B * B + c * B,
                                                 (size_t)B * B, B);
        }
    t->bwd_w[$(L.index0)] += omp_get_wtime() - t0;
}
@ end
