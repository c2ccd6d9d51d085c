/* Finite-difference check of a generated network's backward pass: for every
 * parameter tensor, the derivative of the loss along the direction of the
 * tensor's analytic gradient g (central differences, dropout masks held
 * fixed by the pass) must equal |g|. Along that direction the signal is
 * largest, and a wrong g (wrong values, wrong element order) gives a smaller
 * numeric slope than its norm. Exits 1 when any relative difference exceeds
 * the tolerance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <string.h>
#include <model.h>
#include <rng.h>

static double loss_at(hep_model *m, const float *x, const int *labels, int batch, const hep_pass *pass)
{
    hep_model_forward(m, x, batch, pass, NULL);
    return hep_model_backward(m, labels, NULL, batch, pass);
}

/* Random parameters, each tensor's in its internal order, element k of a
 * tensor drawn at plain offset + k (a padded dense weight's rows, as
 * PyTorch's, the padding left zero): the draws of the versions whose
 * internal arrays had no padding. Finite differences across the ReLU and
 * max-pool kinks depend on the draw, and the tolerances here were set on
 * these. */
static void draw_parameters(const hep_model_info *info, float *params)
{
    for (int t = 0; t < info->num_tensors; t++) {
        const hep_tensor_info *ti = &info->tensors[t];
        const size_t cols = ti->stored > ti->count ? ti->count / ti->shape[0] : ti->count;
        const size_t pitch = ti->stored > ti->count ? ti->stored / ti->shape[0] : ti->count;
        for (size_t k = 0; k < ti->count; k++)
            params[ti->internal + k / cols * pitch + k % cols] = (float)(0.6 * (hep_rng_uniform(5, 1, ti->offset + k) - 0.5));
    }
}

/* What every tensor's check reads: the batch, the pass, and the parameters
 * and gradient of the first backward. */
typedef struct {
    hep_model *m;
    const float *x;
    const int *labels;
    int batch;
    const hep_pass *pass;
    const float *base, *grad;
} gradcheck;

/* The slope of the loss along tensor ti's gradient g by central
 * differences, against |g|; prints both and returns 1 when they differ by
 * more than tol, relative. The parameters are left as they were. */
static int check_tensor(const gradcheck *c, const hep_tensor_info *ti, double eps, double tol)
{
    float *params = hep_model_params(c->m);
    const size_t lo = ti->internal, hi = ti->internal + ti->stored;   /* internal order, padding included */
    double norm = 0;
    for (size_t i = lo; i < hi; i++) norm += (double)c->grad[i] * c->grad[i];
    norm = sqrt(norm);
    const double analytic = norm;   /* the slope backward predicts along g / |g|: g . g / |g| */
    for (size_t i = lo; i < hi; i++) params[i] = (float)(c->base[i] + eps * c->grad[i] / norm);
    double lp = loss_at(c->m, c->x, c->labels, c->batch, c->pass);
    for (size_t i = lo; i < hi; i++) params[i] = (float)(c->base[i] - eps * c->grad[i] / norm);
    double lm = loss_at(c->m, c->x, c->labels, c->batch, c->pass);
    memcpy(params + lo, c->base + lo, sizeof(float) * ti->stored);
    double numeric = (lp - lm) / (2 * eps);
    double rel = fabs(numeric - analytic) / fmax(fabs(analytic), 1e-6);
    int bad = !(rel <= tol);
    printf("  %-12s numeric %.6e  |g| %.6e  rel %.1e %s\n", ti->name, numeric, analytic, rel, bad ? "FAIL" : "ok");
    return bad;
}

int main(int argc, char **argv)
{
    int batch = argc > 1 ? atoi(argv[1]) : 3;
    double tol = argc > 2 ? atof(argv[2]) : 1e-2;
    const hep_model_info *info = hep_model_info_get();
    char err[256];
    const int threads = omp_get_max_threads();   /* images left over from whole rounds: rows shared out */
    hep_model *m = hep_model_create(batch, threads, err, sizeof err);
    if (!m) { fprintf(stderr, "gradcheck: %s\n", err); return 1; }
    size_t P = info->num_internal, X = (size_t)batch * info->in_channels * info->in_height * info->in_width;
    float *params = hep_model_params(m), *x = malloc(sizeof(float) * X);
    float *grad = malloc(sizeof(float) * P), *base = malloc(sizeof(float) * P);
    int *labels = malloc(sizeof(int) * batch);
    if (!x || !grad || !base || !labels) { fprintf(stderr, "gradcheck: out of memory\n"); return 1; }
    draw_parameters(info, params);
    for (size_t i = 0; i < X; i++) x[i] = (float)hep_rng_uniform(5, 3, i);
    for (int n = 0; n < batch; n++) labels[n] = n % info->num_classes;
    hep_pass pass = { .training = 1, .keep_prob = 0.7f, .seed = 42, .step = 1 };
    loss_at(m, x, labels, batch, &pass);
    memcpy(grad, hep_model_grads(m), sizeof(float) * P);
    memcpy(base, params, sizeof(float) * P);

    const gradcheck c = { m, x, labels, batch, &pass, base, grad };
    const double eps = 1e-3;
    int failed = 0;
    printf("%s: slope of the loss along each tensor's gradient g, by central differences (step %.0e),\n"
           "  against |g| from backward; tolerance %.0e relative\n", info->network, eps, tol);
    for (int t = 0; t < info->num_tensors; t++) failed += check_tensor(&c, &info->tensors[t], eps, tol);
    printf("%s: %s\n", info->network, failed ? "FAILED" : "gradients match finite differences");
    free(x); free(grad); free(base); free(labels);
    hep_model_destroy(m);
    return failed ? 1 : 0;
}
