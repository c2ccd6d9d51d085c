/* ---- $(L.name): dense $(L.IN)->$(L.OUT)$(L.epilogue) ----
 * in m->$(L.in_buf) [batch][$(L.IN)], out m->$(L.name)_out [batch][$(L.OUT)]
 * weight [$(L.IN)][$(L.OUT)] (internal; PyTorch's [out][in] is its transpose).
 * GEMMs always span the whole allocated batch: columns past n_images hold
 * stale but finite values and never mix with the others. */
static void $(L.name)_forward(hep_model *m, int n_images, const hep_pass *pass)
{
    enum { IN = $(L.IN), OUT = $(L.OUT), MB = $(L.MB), KC = $(L.KC) };
    const float *weight = m->params + $(L.w_off), *bias = m->params + $(L.b_off);
    float *out = m->$(L.name)_out;
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    (void)drop;
    /* k in chunks of KC inputs, so that the weight block a thread streams
     * (MB x KC) stays in cache while the kernel sweeps the batch. */
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OUT; o0 += MB)
        for (int k0 = 0; k0 < IN; k0 += KC)
            (k0 ? m->$(L.name)_fwd_acc : m->$(L.name)_fwd)(weight + (size_t)k0 * OUT + o0, m->$(L.in_buf) + k0, out + o0);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int o = 0; o < OUT; o++) {
            float v = out[(size_t)n * OUT + o] + bias[o];
@ if L.relu then
            if (v < 0.0f) v = 0.0f;
@ end
@ if L.dropout then
            if (drop.active) v *= hep_dropout_factor1(&drop, (pass->first_sample + n) * OUT + o);
@ end
            out[(size_t)n * OUT + o] = v;
        }
}

/* dout [batch][OUT] is overwritten with the pre-activation gradient; din
 * [batch][IN] receives the input gradient. Needs n_images == batch. */
static void $(L.name)_backward(hep_model *m, int n_images, float *dout, float *din, const hep_pass *pass)
{
    enum { IN = $(L.IN), OUT = $(L.OUT), MB = $(L.MB), NBI = $(L.NBI) };
    const float *out = m->$(L.name)_out;
    float *dweight = m->grads + $(L.w_off), *dbias = m->grads + $(L.b_off);
    const hep_dropout drop = hep_dropout_make($(L.dropout and "pass->training" or "0"), pass->keep_prob,
                                              pass->seed, pass->step, $(L.dropout or 0));
    (void)drop; (void)out;
    double t0 = omp_get_wtime(), t1;
@ if L.relu or L.dropout then
#pragma omp parallel for schedule(static)
    for (int n = 0; n < n_images; n++)
        for (int o = 0; o < OUT; o++) {
            float g = dout[(size_t)n * OUT + o];
@ if L.relu then
            if (!(out[(size_t)n * OUT + o] > 0.0f)) g = 0.0f;
@ end
@ if L.dropout then
            if (drop.active) g *= hep_dropout_factor1(&drop, (pass->first_sample + n) * OUT + o);
@ end
            dout[(size_t)n * OUT + o] = g;
        }
@ end
    for (int o = 0; o < OUT; o++) {
        double sum = 0.0;
        for (int n = 0; n < n_images; n++) sum += dout[(size_t)n * OUT + o];
        dbias[o] = (float)sum;
    }
    t1 = omp_get_wtime(); m->time_bwd_d[$(L.index0)] += t1 - t0; t0 = t1;
    /* dweight[i][o] = sum_n in[n][i] dout[n][o] */
#pragma omp parallel for schedule(static)
    for (int i0 = 0; i0 < IN; i0 += NBI)
        m->$(L.name)_bwd_w(dout, m->$(L.in_buf) + i0, dweight + (size_t)i0 * OUT);
    t1 = omp_get_wtime(); m->time_bwd_w[$(L.index0)] += t1 - t0; t0 = t1;
@ if L.need_din then
    /* din[n][i] = sum_o wt[o][i] dout[n][o], wt = weight transposed */
    hep_transpose(m->params + $(L.w_off), IN, OUT, m->$(L.name)_wt);
#pragma omp parallel for schedule(static)
    for (int i0 = 0; i0 < IN; i0 += NBI)
        m->$(L.name)_bwd_d(m->$(L.name)_wt + i0, dout, din + i0);
    m->time_bwd_d[$(L.index0)] += omp_get_wtime() - t0;
@ else
    (void)din;
@ end
}
