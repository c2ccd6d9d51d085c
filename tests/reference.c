/* Plain-loop reference of a generated network (see reference.h). */
#include "reference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <epilogue.h>

static size_t out_size(const hep_layer_info *l) { return (size_t)l->out_c * l->out_h * l->out_w; }

int ref_init(ref_state *s, const hep_model_info *info, int n)
{
    memset(s, 0, sizeof(*s));
    s->info = info;
    s->n = n;
    s->out = calloc((size_t)info->num_layers, sizeof(float *));
    s->state = calloc(info->num_state + 1, sizeof(float));
    if (!s->out || !s->state || info->num_layers > 64) return -1;
    for (int i = 0; i < info->num_layers; i++) {
        const hep_layer_info *l = &info->layers[i];
        s->out[i] = calloc((size_t)n * out_size(l), sizeof(float));
        s->pre[i] = calloc((size_t)n * l->out_c * (l->kind == HEP_LAYER_CONV ? l->in_h * l->in_w : 1), sizeof(float));
        if (!s->out[i] || !s->pre[i]) return -1;
        if (l->bn_scale >= 0) {
            s->z[i] = calloc((size_t)n * l->out_c * l->in_h * l->in_w, sizeof(float));
            s->bn_mean[i] = calloc((size_t)l->out_c, sizeof(double));
            s->bn_invstd[i] = calloc((size_t)l->out_c, sizeof(double));
            if (!s->z[i] || !s->bn_mean[i] || !s->bn_invstd[i]) return -1;
        }
    }
    return 0;
}

void ref_free(ref_state *s)
{
    for (int i = 0; s->out && i < s->info->num_layers; i++) {
        free(s->out[i]); free(s->pre[i]); free(s->z[i]); free(s->bn_mean[i]); free(s->bn_invstd[i]);
    }
    free(s->out);
    free(s->state);
}

static float drop_factor(const hep_layer_info *l, const hep_pass *p, uint64_t index)
{
    hep_dropout d = hep_dropout_make(l->dropout && p->training, p->keep_prob, p->seed, p->step, (uint32_t)l->dropout);
    return d.active ? hep_dropout_factor1(&d, index) : 1.0f;
}

static const float *param(const ref_state *s, int tensor) { return s->params + s->info->tensors[tensor].offset; }

/* Batch normalisation of s->pre in place: the batch's statistics (biased
 * variance) in training, which also update the running averages in s->state
 * (momentum, unbiased variance); the running averages in inference. */
static void ref_bn_forward(ref_state *s, int li, const hep_pass *pass)
{
    const hep_layer_info *l = &s->info->layers[li];
    const hep_model_info *info = s->info;
    int K = l->out_c, HW = l->in_h * l->in_w;
    const float *gamma = param(s, l->bn_scale), *beta = param(s, l->bn_shift);
    float *rmean = s->state + info->state_tensors[l->bn_mean].offset, *rvar = s->state + info->state_tensors[l->bn_var].offset;
    memcpy(s->z[li], s->pre[li], sizeof(float) * (size_t)s->n * K * HW);
    for (int k = 0; k < K; k++) {
        double mean, var;
        if (pass->training) {
            double sum = 0, sq = 0, count = (double)s->n * HW;
            for (int n = 0; n < s->n; n++)
                for (int i = 0; i < HW; i++) sum += s->z[li][((size_t)n * K + k) * HW + i];
            mean = sum / count;
            for (int n = 0; n < s->n; n++)
                for (int i = 0; i < HW; i++) {
                    double d = s->z[li][((size_t)n * K + k) * HW + i] - mean;
                    sq += d * d;
                }
            var = sq / count;
            rmean[k] = (float)((1 - l->bn_momentum) * rmean[k] + l->bn_momentum * mean);
            rvar[k] = (float)((1 - l->bn_momentum) * rvar[k] + l->bn_momentum * sq / (count > 1 ? count - 1 : 1));
        } else {
            mean = rmean[k];
            var = rvar[k];
        }
        s->bn_mean[li][k] = mean;
        s->bn_invstd[li][k] = 1 / sqrt(var + l->bn_eps);
        for (int n = 0; n < s->n; n++)
            for (int i = 0; i < HW; i++) {
                size_t at = ((size_t)n * K + k) * HW + i;
                s->pre[li][at] = (float)(gamma[k] * (s->z[li][at] - mean) * s->bn_invstd[li][k] + beta[k]);
            }
    }
}

/* A conv layer's output before its epilogue for every image, in s->pre:
 * the convolution, then batch normalisation when the layer has it (the
 * conv output kept in s->z for the backward). Each pixel's sum takes its
 * terms in the order c, r, q; one output row is summed at a time so that
 * the compiler vectorises over the pixels. */
static void ref_conv_all(ref_state *s, int li, const float *w, const float *b, const float *in, const hep_pass *pass)
{
    const hep_layer_info *l = &s->info->layers[li];
    float *pre = s->pre[li];
    int C = l->in_c, H = l->in_h, W = l->in_w, K = l->out_c;
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (int n = 0; n < s->n; n++)
        for (int k = 0; k < K; k++)
            for (int h = 0; h < H; h++) {
                double acc[W];
                for (int x0 = 0; x0 < W; x0++) acc[x0] = b ? b[k] : 0;
                for (int c = 0; c < C; c++)
                    for (int r = 0; r < 3; r++) {
                        int ih = h + r - 1;
                        if (ih < 0 || ih >= H) continue;
                        const float *row = in + (((size_t)n * C + c) * H + ih) * W;
                        const float *wr = w + ((k * C + c) * 3 + r) * 3;
                        double w0 = wr[0], w1 = wr[1], w2 = wr[2];
                        /* the edge pixels lack the tap that falls outside */
                        acc[0] += w1 * row[0];
                        if (W > 1) acc[0] += w2 * row[1];
                        for (int x0 = 1; x0 < W - 1; x0++)
                            acc[x0] = acc[x0] + w0 * row[x0 - 1] + w1 * row[x0] + w2 * row[x0 + 1];
                        if (W > 1) {
                            acc[W - 1] += w0 * row[W - 2];
                            acc[W - 1] += w1 * row[W - 1];
                        }
                    }
                for (int x0 = 0; x0 < W; x0++) pre[(((size_t)n * K + k) * H + h) * W + x0] = (float)acc[x0];
            }
    if (l->bn_scale >= 0) ref_bn_forward(s, li, pass);
}

/* The conv epilogue of image n (its pre-activation in s->pre, for the whole
 * batch): 2x2 max-pool, ReLU, dropout. Pool windows and ReLU inputs closer
 * than `tie` (relative) are counted: the model may decide them otherwise. */
static void ref_conv_epilogue(ref_state *s, int li, int n, float tie, const hep_pass *pass)
{
    const hep_layer_info *l = &s->info->layers[li];
    int H = l->in_h, W = l->in_w, K = l->out_c, OH = l->out_h, OW = l->out_w;
    for (int k = 0; k < K; k++)
        for (int p = 0; p < OH; p++)
            for (int q = 0; q < OW; q++) {
                float v;
                const float *pk = s->pre[li] + ((size_t)n * K + k) * H * W;
                if (l->pool) {
                    float w4[4] = { pk[(2 * p) * W + 2 * q], pk[(2 * p) * W + 2 * q + 1],
                                    pk[(2 * p + 1) * W + 2 * q], pk[(2 * p + 1) * W + 2 * q + 1] };
                    v = w4[0];
                    for (int j = 1; j < 4; j++) if (w4[j] > v) v = w4[j];
                    int close = 0;
                    for (int j = 0; j < 4; j++)
                        if (w4[j] != v && fabsf(w4[j] - v) <= tie * fmaxf(fabsf(v), 1.0f)) close = 1;
                    s->near_ties[li] += close;
                } else {
                    v = pk[p * W + q];
                }
                s->near_kinks[li] += l->relu && v != 0 && fabsf(v) <= tie;
                if (l->relu && v < 0) v = 0;
                v *= drop_factor(l, pass, (((pass->first_sample + n) * OH + p) * OW + q) * K + k);
                s->out[li][(((size_t)n * K + k) * OH + p) * OW + q] = v;
            }
}

/* A dense layer's forward of image n, with its ReLU and dropout. */
static void ref_dense_forward(ref_state *s, int li, int n, const float *w, const float *b, const float *in, float tie,
                              const hep_pass *pass)
{
    const hep_layer_info *l = &s->info->layers[li];
    int C = l->in_c, K = l->out_c;
    for (int o = 0; o < K; o++) {
        double acc = b[o];
        for (int i = 0; i < C; i++) acc += (double)w[(size_t)o * C + i] * in[(size_t)n * C + i];
        float v = (float)acc;
        s->pre[li][(size_t)n * K + o] = v;
        s->near_kinks[li] += l->relu && v != 0 && fabsf(v) <= tie;
        if (l->relu && v < 0) v = 0;
        v *= drop_factor(l, pass, (pass->first_sample + n) * K + o);
        s->out[li][(size_t)n * K + o] = v;
    }
}

/* Global average pool, flatten or softmax of image n. */
static void ref_head_forward(const hep_layer_info *l, int n, const float *in, float *out)
{
    int C = l->in_c, HW = l->in_h * l->in_w, K = l->out_c;
    if (l->kind == HEP_LAYER_AVGPOOL) {
        for (int c = 0; c < C; c++) {
            double acc = 0;
            for (int i = 0; i < HW; i++) acc += in[((size_t)n * C + c) * HW + i];
            out[(size_t)n * C + c] = (float)(acc / HW);
        }
    } else if (l->kind == HEP_LAYER_FLATTEN) {
        memcpy(out + (size_t)n * K, in + (size_t)n * K, sizeof(float) * K);
    } else {   /* softmax */
        double mx = in[(size_t)n * K], sum = 0;
        for (int k = 1; k < K; k++) mx = fmax(mx, in[(size_t)n * K + k]);
        for (int k = 0; k < K; k++) sum += exp(in[(size_t)n * K + k] - mx);
        for (int k = 0; k < K; k++) out[(size_t)n * K + k] = (float)(exp(in[(size_t)n * K + k] - mx) / sum);
    }
}

void ref_forward(ref_state *s, const float *params, const float *x, const hep_pass *pass)
{
    const hep_model_info *info = s->info;
    s->params = params;
    const float *in = x;
    float tie = 2e-6f;   /* the largest rounding of this layer and those before it, which it inherits */
    for (int li = 0; li < info->num_layers; li++) {
        const hep_layer_info *l = &info->layers[li];
        const float *w = l->weight >= 0 ? params + info->tensors[l->weight].offset : NULL;
        const float *b = l->bias >= 0 ? params + info->tensors[l->bias].offset : NULL;
        /* Pool windows closer than the model's rounding may take another
         * argmax there: float sums, and Winograd's transforms too (of the
         * layer's largest value, 1e-5 measured for F(6x6), 6e-5 for
         * F(8x8)), passed on to the layers after it (hep224's conv4 by
         * F(4x4) after conv3 by F(8x8): 2e-5). */
        if (l->winograd_passes & 1)
            tie = fmaxf(tie, l->winograd_tile == 8 ? 1.2e-4f : 2e-5f * l->winograd_tile * l->winograd_tile / 36.0f);
        if (l->kind == HEP_LAYER_CONV) ref_conv_all(s, li, w, b, in, pass);
        for (int n = 0; n < s->n; n++) {
            if (l->kind == HEP_LAYER_CONV)
                ref_conv_epilogue(s, li, n, tie, pass);
            else if (l->kind == HEP_LAYER_DENSE)
                ref_dense_forward(s, li, n, w, b, in, tie, pass);
            else
                ref_head_forward(l, n, in, s->out[li]);
        }
        in = s->out[li];
    }
}

/* Batch normalisation's backward over the whole batch: dpre holds the
 * gradient of the normalised output; it becomes the conv output's, and the
 * scale and shift gradients are added to gd. */
static void ref_bn_backward(ref_state *s, int li, float *dpre, double *gd)
{
    const hep_layer_info *l = &s->info->layers[li];
    int K = l->out_c, HW = l->in_h * l->in_w;
    double count = (double)s->n * HW;
    const float *gamma = param(s, l->bn_scale);
    double *dgamma = gd + s->info->tensors[l->bn_scale].offset, *dbeta = gd + s->info->tensors[l->bn_shift].offset;
    for (int k = 0; k < K; k++) {
        double sg = 0, sgx = 0, mean = s->bn_mean[li][k], invstd = s->bn_invstd[li][k];
        for (int n = 0; n < s->n; n++)
            for (int i = 0; i < HW; i++) {
                size_t at = ((size_t)n * K + k) * HW + i;
                sg += dpre[at];
                sgx += dpre[at] * (s->z[li][at] - mean) * invstd;
            }
        dgamma[k] += sgx;
        dbeta[k] += sg;
        for (int n = 0; n < s->n; n++)
            for (int i = 0; i < HW; i++) {
                size_t at = ((size_t)n * K + k) * HW + i;
                double x = (s->z[li][at] - mean) * invstd;
                dpre[at] = (float)(gamma[k] * invstd * (dpre[at] - sg / count - x * sgx / count));
            }
    }
}

/* [n][c][h][w] -> [n][h][w][c] of a conv layer's input, or
 * [k][c][r][q] -> [k][r][q][c] of its weight (h, w = 3): the channels
 * innermost, where the sums below vectorise. */
static float *channels_last(const float *x, int n, int c, int h, int w)
{
    float *t = malloc(sizeof(float) * (size_t)n * c * h * w);
    if (!t) return NULL;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++)
            for (int p = 0; p < h * w; p++) t[((size_t)i * h * w + p) * c + j] = x[((size_t)i * c + j) * h * w + p];
    return t;
}

/* The gradient of a conv layer's output (dpre, [n][k][h][w]) at pixel
 * (h, x0) of image n's channel k. */
#define DPRE(n, k, h, x0) dpre[(((size_t)(n) * KO + (k)) * H + (h)) * W + (x0)]

/* The weight and bias gradients of a conv layer, each weight's sum over the
 * pixels of every image in the order n, h, x0 (zero gradients skipped), as
 * the plain loops take it; the input channels innermost (in_t and dw_t
 * channels-last), where they change no sum's order. A thread per k. */
static void ref_conv_weight_grads(int KO, int C, int H, int W, int n_img, const float *dpre, const float *in_t,
                                  double *dw_t, double *db)
{
#pragma omp parallel for schedule(dynamic)
    for (int k = 0; k < KO; k++)
        for (int n = 0; n < n_img; n++)
            for (int h = 0; h < H; h++)
                for (int x0 = 0; x0 < W; x0++) {
                    float g = DPRE(n, k, h, x0);
                    if (g == 0) continue;
                    if (db) db[k] += g;
                    for (int r = 0; r < 3; r++)
                        for (int q = 0; q < 3; q++) {
                            int ih = h + r - 1, iw = x0 + q - 1;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            const float *iv = in_t + (((size_t)n * H + ih) * W + iw) * C;
                            double *dv = dw_t + ((size_t)k * 9 + r * 3 + q) * C;
                            for (int c = 0; c < C; c++) dv[c] += g * iv[c];
                        }
                }
}

/* The data gradient of a conv layer, each input pixel's sum in the order
 * k, h, x0 of the output pixels it feeds (zero gradients skipped), as the
 * plain loops take it; channels innermost (w_t, din_t channels-last). A
 * thread per image. */
static void ref_conv_data_grads(int KO, int C, int H, int W, int n_img, const float *dpre, const float *w_t,
                                float *din_t)
{
#pragma omp parallel for schedule(dynamic)
    for (int n = 0; n < n_img; n++)
        for (int k = 0; k < KO; k++)
            for (int h = 0; h < H; h++)
                for (int x0 = 0; x0 < W; x0++) {
                    float g = DPRE(n, k, h, x0);
                    if (g == 0) continue;
                    for (int r = 0; r < 3; r++)
                        for (int q = 0; q < 3; q++) {
                            int ih = h + r - 1, iw = x0 + q - 1;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            float *dv = din_t + (((size_t)n * H + ih) * W + iw) * C;
                            const float *wv = w_t + ((size_t)k * 9 + r * 3 + q) * C;
                            for (int c = 0; c < C; c++) dv[c] += g * wv[c];
                        }
                }
}
#undef DPRE

/* A conv layer's weight, bias and data gradients (the first layer's data
 * gradient is not needed) from the gradient of its output, dpre_all. */
static void ref_conv_sums_backward(ref_state *s, int li, const float *in, const float *dpre_all, float *din, double *gd)
{
    const hep_model_info *info = s->info;
    const hep_layer_info *l = &info->layers[li];
    int C = l->in_c, H = l->in_h, W = l->in_w, KO = l->out_c, n_img = s->n;
    double *dw = gd + info->tensors[l->weight].offset;
    double *db = l->bias >= 0 ? gd + info->tensors[l->bias].offset : NULL;
    float *in_t = channels_last(in, n_img, C, H, W), *w_t = channels_last(param(s, l->weight), KO, C, 3, 3);
    double *dw_t = calloc((size_t)KO * 9 * C, sizeof(double));
    float *din_t = calloc((size_t)n_img * H * W * C, sizeof(float));
    if (!in_t || !w_t || !dw_t || !din_t) { fprintf(stderr, "reference: out of memory\n"); exit(1); }
    ref_conv_weight_grads(KO, C, H, W, n_img, dpre_all, in_t, dw_t, db);
    if (li > 0) ref_conv_data_grads(KO, C, H, W, n_img, dpre_all, w_t, din_t);
    for (int k = 0; k < KO; k++)
        for (int c = 0; c < C; c++)
            for (int rq = 0; rq < 9; rq++) dw[((size_t)k * C + c) * 9 + rq] = dw_t[((size_t)k * 9 + rq) * C + c];
    for (int n = 0; n < n_img * (li > 0); n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < H * W; p++) din[((size_t)n * C + c) * H * W + p] = din_t[((size_t)n * H * W + p) * C + c];
    free(in_t); free(w_t); free(dw_t); free(din_t);
}

/* A conv layer's backward for the whole batch: epilogue, batch norm, then
 * weight, bias and data gradients (ref_conv_sums_backward). */
static void ref_conv_backward(ref_state *s, int li, const float *in, const float *dout, float *din,
                              const hep_pass *pass, double *gd)
{
    const hep_model_info *info = s->info;
    const hep_layer_info *l = &info->layers[li];
    const float *pre = s->pre[li];
    int H = l->in_h, W = l->in_w, KO = l->out_c, OH = l->out_h, OW = l->out_w, n_img = s->n;
    float *dpre_all = calloc((size_t)n_img * KO * H * W, sizeof(float));
    for (int n = 0; n < n_img; n++) {
        /* gradient of the pre-activation map */
        float *dpre = dpre_all + (size_t)n * KO * H * W;
        const float *pk0 = pre + (size_t)n * KO * H * W;
        for (int k = 0; k < KO; k++)
            for (int p = 0; p < OH; p++)
                for (int q = 0; q < OW; q++) {
                    float g = dout[(((size_t)n * KO + k) * OH + p) * OW + q];
                    g *= drop_factor(l, pass, (((pass->first_sample + n) * OH + p) * OW + q) * KO + k);
                    const float *pk = pk0 + (size_t)k * H * W;
                    int at;
                    if (l->pool) {
                        int cand[4] = { (2 * p) * W + 2 * q, (2 * p) * W + 2 * q + 1,
                                        (2 * p + 1) * W + 2 * q, (2 * p + 1) * W + 2 * q + 1 };
                        at = cand[0];
                        for (int j = 1; j < 4; j++) if (pk[cand[j]] > pk[at]) at = cand[j];
                    } else {
                        at = p * W + q;
                    }
                    if (l->relu && !(pk[at] > 0)) g = 0;
                    dpre[(size_t)k * H * W + at] += g;
                }
    }
    if (l->bn_scale >= 0) ref_bn_backward(s, li, dpre_all, gd);
    ref_conv_sums_backward(s, li, in, dpre_all, din, gd);
    free(dpre_all);
}

double ref_backward(ref_state *s, const float *params, const float *x, const int *labels,
                    const float *weights, const hep_pass *pass, float *grads)
{
    const hep_model_info *info = s->info;
    int L = info->num_layers;
    double *gd = calloc(info->num_params, sizeof(double));   /* many-term sums: accumulate in double */
    const hep_layer_info *last = &info->layers[L - 1];
    int K = last->out_c, n_img = s->n;
    double loss = 0;
    float *dout = calloc((size_t)n_img * K, sizeof(float));
    for (int n = 0; n < n_img; n++) {
        double wgt = weights ? weights[n] : 1.0;
        const float *p = s->out[L - 1] + (size_t)n * K;
        loss += -wgt * log(p[labels[n]]);
        for (int k = 0; k < K; k++) dout[(size_t)n * K + k] = (float)(wgt * (p[k] - (k == labels[n])) / n_img);
    }
    loss /= n_img;
    for (int li = L - 2; li >= 0; li--) {
        const hep_layer_info *l = &info->layers[li];
        const float *in = li > 0 ? s->out[li - 1] : x;
        const float *out = s->out[li], *pre = s->pre[li];
        const float *w = l->weight >= 0 ? params + info->tensors[l->weight].offset : NULL;
        double *dw = l->weight >= 0 ? gd + info->tensors[l->weight].offset : NULL;
        double *db = l->bias >= 0 ? gd + info->tensors[l->bias].offset : NULL;
        int C = l->in_c, H = l->in_h, W = l->in_w, KO = l->out_c;
        float *din = calloc((size_t)n_img * C * H * W, sizeof(float));
        if (l->kind == HEP_LAYER_CONV) ref_conv_backward(s, li, in, dout, din, pass, gd);
        for (int n = 0; n < n_img && l->kind != HEP_LAYER_CONV; n++) {
            if (l->kind == HEP_LAYER_DENSE) {
                for (int o = 0; o < KO; o++) {
                    float g = dout[(size_t)n * KO + o];
                    if (l->relu && !(pre[(size_t)n * KO + o] > 0)) g = 0;
                    g *= drop_factor(l, pass, (pass->first_sample + n) * KO + o);
                    db[o] += g;
                    for (int i = 0; i < C; i++) {
                        dw[(size_t)o * C + i] += g * in[(size_t)n * C + i];
                        din[(size_t)n * C + i] += g * w[(size_t)o * C + i];
                    }
                }
            } else if (l->kind == HEP_LAYER_FLATTEN) {
                memcpy(din + (size_t)n * KO, dout + (size_t)n * KO, sizeof(float) * KO);
            } else if (l->kind == HEP_LAYER_AVGPOOL) {
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < H * W; i++)
                        din[((size_t)n * C + c) * H * W + i] = dout[(size_t)n * C + c] / (H * W);
            }
        }
        (void)out;
        free(dout);
        dout = din;
    }
    free(dout);
    for (size_t i = 0; i < info->num_params; i++) grads[i] = (float)gd[i];
    free(gd);
    return loss;
}
