/* ---- $(L.name): dense $(L.IN)->$(L.OUT)$(L.epilogue) ----
 * in m->$(L.in_buf) [$(L.IN)][batch], out m->$(L.name)_out [$(L.OUT)][batch]: dense
 * activations are feature-major, so that with the weight in PyTorch's own
 * [$(L.OUT)][$(L.IN)] order every GEMM is a plain or TRANS_B libxsmm kernel (its
 * JIT has no TRANS_A) and no weight is ever transposed. Inside, the weight's
 * rows lie LDW = $(L.LDW) floats apart (gen/layers/dense.lua).
 * GEMMs span the whole allocated batch: columns past n_images hold stale but
 * finite values and never mix with the others. */
static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    enum { IN = $(L.IN), OUT = $(L.OUT), OB = $(L.OB), KC = $(L.KC), ON = $(L.ON), LDW = $(L.LDW) };
    const int N = m->batch;
    const float *weight = m->params + $(L.w_off), *bias = m->params + $(L.b_off);
    const float *in = m->$(L.in_buf);
    float *out = m->$(L.name)_out;
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    (void)drop;
    /* out[o][n] = sum_i weight[o][i] in[i][n], k in chunks of KC inputs so
     * that the weight block a thread streams stays in cache, ON outputs a
     * call (the arch's: gen/arch.lua). */
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OUT; o0 += OB)
        for (int k0 = 0; k0 < IN; k0 += KC)
            for (int o = o0; o < o0 + OB; o += ON)
                (k0 ? m->$(L.name)_fwd_acc : m->$(L.name)_fwd)(in + (size_t)k0 * N, weight + (size_t)o * LDW + k0,
                                                               out + (size_t)o * N);
    /* Bias, ReLU, dropout over blocks of 64 outputs: one image's dropout
     * factors for a block come from one vectorised Philox group. */
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OUT; o0 += 64) {
        const int count = OUT - o0 < 64 ? OUT - o0 : 64;
        float factor[64];
        for (int o = 0; o < 64; o++) factor[o] = 1.0f;
        for (int n = 0; n < n_images; n++) {
@ if L.dropout then
            if (drop.active) hep_dropout_factors(&drop, (pass->first_sample + n) * OUT + o0, count, factor);
@ end
            for (int o = 0; o < count; o++) {
                float v = out[(size_t)(o0 + o) * N + n] + bias[o0 + o];
@ if L.relu then
                if (v < 0.0f) v = 0.0f;
@ end
                out[(size_t)(o0 + o) * N + n] = v * factor[o];
            }
        }
    }
}

@ if not L.image_major_grad then
/* Backward-data's inputs per call: the widest of $(table.concat(L.NBD, ", ")) that still
 * gives each of the threads 4 calls, else the narrowest. */
static int $(L.name)_bwd_d_inputs(int threads)
{
    static const int widths[] = { $(table.concat(L.NBD, ", ")) };
    int i = 0;
    while (i + 1 < (int)(sizeof widths / sizeof widths[0]) && $(L.IN) / widths[i] < 4 * threads) i++;
    return widths[i];
}
@ end

/* The epilogue's backward: dout [OUT][batch] becomes the pre-activation
 * gradient (dropout's factors, the ReLU's zeros); its sum over the images
 * is the bias gradient. */
static void $(L.name)_epilogue_backward(hep_model *m, int n_images, float *dout, const hep_pass *pass)
{
    enum { OUT = $(L.OUT) };
    const int N = m->batch;
@ if L.relu then
    const float *out = m->$(L.name)_out;
@ end
    float *dbias = m->grads + $(L.b_off);
@ if L.dropout then
    const hep_dropout drop = hep_dropout_make(pass->training, pass->keep_prob, pass->seed, pass->step, $(L.dropout));
@ else
    (void)pass;
@ end
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OUT; o0 += 64) {
        const int count = OUT - o0 < 64 ? OUT - o0 : 64;
        float factor[64];
        double sum[64] = { 0.0 };
        for (int o = 0; o < 64; o++) factor[o] = 1.0f;
        for (int n = 0; n < n_images; n++) {
@ if L.dropout then
            if (drop.active) hep_dropout_factors(&drop, (pass->first_sample + n) * OUT + o0, count, factor);
@ end
            for (int o = 0; o < count; o++) {
                float g = dout[(size_t)(o0 + o) * N + n] * factor[o];
@ if L.relu then
                if (!(out[(size_t)(o0 + o) * N + n] > 0.0f)) g = 0.0f;
@ end
                dout[(size_t)(o0 + o) * N + n] = g;
                sum[o] += g;
            }
        }
        for (int o = 0; o < count; o++) dbias[o0 + o] = (float)sum[o];
    }
}

/* dweight[o][i] = sum_n dout[o][n] in[i][n], from the input transposed to
 * [batch][LDT] (small next to the weight; LDT, the fewest whole cache lines
 * >= IN in an odd number, keeps its rows in different L1 sets: see
 * gen/layers/dense.lua). */
static void $(L.name)_weight_grad(hep_model *m, const float *dout)
{
    enum { IN = $(L.IN), NBW = $(L.NBW), LDT = $(L.LDT) };
    float *dweight = m->grads + $(L.w_off), *in_t = m->dense_in_t;
    hep_transpose(m->$(L.in_buf), IN, m->batch, in_t, LDT);
@ if L.bwd_w_streaming then
#pragma omp parallel
    {
#pragma omp for schedule(static) nowait
        for (int i0 = 0; i0 < IN; i0 += NBW)
            m->$(L.name)_bwd_w(in_t + i0, dout, dweight + i0);
        hep_streaming_stores_done();   /* before the region's closing barrier */
    }
@ else
#pragma omp parallel for schedule(static)
    for (int i0 = 0; i0 < IN; i0 += NBW)
        m->$(L.name)_bwd_w(in_t + i0, dout, dweight + i0);
@ end
}

@ if L.image_major_grad then
/* din_t[n][i] = sum_o weight[o][i] dout[o][n], into m->dense_in_t
 * [batch][$(L.IN)]: image-major, as the head's backward reads it. MD inputs
 * per call, the outputs KD at a time, from dout transposed into dout_t. */
static void $(L.name)_data_grad(hep_model *m, const float *dout, float *dout_t)
{
    enum { IN = $(L.IN), OUT = $(L.OUT), MD = $(L.MD), KD = $(L.KD), LDW = $(L.LDW) };
    const float *weight = m->params + $(L.w_off);
    float *din_t = m->dense_in_t;
    hep_transpose(dout, OUT, m->batch, dout_t, OUT);
@ if L.bwd_d_in_place then
    /* the weight block read in place, its rows LDW floats apart (the
     * tuning file's choice: gen/layers/dense.lua) */
#pragma omp parallel for schedule(static)
    for (int i0 = 0; i0 < IN; i0 += MD)
        for (int o0 = 0; o0 < OUT; o0 += KD)
            (o0 ? m->$(L.name)_bwd_d_acc : m->$(L.name)_bwd_d)(weight + (size_t)o0 * LDW + i0, dout_t + o0, din_t + i0);
@ else
    /* each call's weight block, KD rows of MD floats, copied to a contiguous
     * [KD][MD] first (gen/layers/dense.lua) */
#pragma omp parallel
    {
        float *pack = m->thread[omp_get_thread_num()].pack;
#pragma omp for schedule(static)
        for (int i0 = 0; i0 < IN; i0 += MD)
            for (int o0 = 0; o0 < OUT; o0 += KD) {
                for (int o = 0; o < KD; o++)
                    memcpy(pack + (size_t)o * MD, weight + (size_t)(o0 + o) * LDW + i0, sizeof(float) * MD);
                (o0 ? m->$(L.name)_bwd_d_acc : m->$(L.name)_bwd_d)(pack, dout_t + o0, din_t + i0);
            }
    }
@ end
}

/* dout [OUT][batch] is overwritten with the pre-activation gradient; the
 * input gradient goes to m->dense_in_t, [batch][IN] (after backward-weights
 * has read its input from there); din, [OUT][batch] floats at least, is
 * scratch. Needs n_images == batch. */
@ else
/* din[i][n] = sum_o weight[o][i] dout[o][n]: NBD inputs per call, the
 * outputs KD at a time. */
static void $(L.name)_data_grad(hep_model *m, const float *dout, float *din)
{
    enum { IN = $(L.IN), OUT = $(L.OUT), KD = $(L.KD), LDW = $(L.LDW) };
    const int N = m->batch, NBD = $(L.name)_bwd_d_inputs(m->threads);
    const float *weight = m->params + $(L.w_off);
    /* each call's KD weight rows, NBD floats of each, copied to rows $(L.LDP) floats
     * apart first (gen/layers/dense.lua) */
#pragma omp parallel
    {
        float *pack = m->thread[omp_get_thread_num()].pack;
#pragma omp for schedule(static)
        for (int i0 = 0; i0 < IN; i0 += NBD)
            for (int o0 = 0; o0 < OUT; o0 += KD) {
                for (int o = 0; o < KD; o++)
                    memcpy(pack + (size_t)o * $(L.LDP), weight + (size_t)(o0 + o) * LDW + i0, sizeof(float) * (size_t)NBD);
                (o0 ? m->$(L.name)_bwd_d_acc : m->$(L.name)_bwd_d)(dout + (size_t)o0 * N, pack, din + (size_t)i0 * N);
            }
    }
}

/* dout [OUT][batch] is overwritten with the pre-activation gradient; din
 * [IN][batch] receives the input gradient. Needs n_images == batch. */
@ end
static void $(L.name)_backward(hep_model *m, int n_images, float *dout, float *din, const hep_pass *pass)
{
    double t0 = omp_get_wtime(), t1;
    $(L.name)_epilogue_backward(m, n_images, dout, pass);
    t1 = omp_get_wtime(); m->time_bwd_d[$(L.index0)] += t1 - t0; t0 = t1;
    $(L.name)_weight_grad(m, dout);
    t1 = omp_get_wtime(); m->time_bwd_w[$(L.index0)] += t1 - t0; t0 = t1;
    $(L.name)_data_grad(m, dout, din);
    m->time_bwd_d[$(L.index0)] += omp_get_wtime() - t0;
}
