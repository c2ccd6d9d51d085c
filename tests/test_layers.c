/* Every layer and pass of a generated network against the plain-loop
 * reference (tests/reference.c): each layer's forward output (probe), the
 * loss, and every parameter's gradient (which checks backward-weights of each
 * layer and, through the layer below, its backward-data and epilogue
 * backward). Prints the largest relative error per tensor; exits 1 if any
 * exceeds the tolerance.
 * Usage: test_layers [batch] [tolerance] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxsmm.h>
#include <omp.h>
#include <model.h>
#include <rng.h>
#include "reference.h"

static double rel_error(const float *got, const float *want, size_t count)
{
    double maxdiff = 0, maxref = 1e-30;
    for (size_t i = 0; i < count; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= maxdiff)) maxdiff = d;     /* NaN propagates */
        if (fabs(want[i]) > maxref) maxref = fabs(want[i]);
    }
    return maxdiff / maxref;
}

static void fill_normal(float *v, size_t count, double scale, uint64_t seed, uint32_t stream)
{
    for (size_t i = 0; i < count; i++) {
        double u1 = hep_rng_uniform(seed, stream, 2 * i), u2 = hep_rng_uniform(seed, stream, 2 * i + 1);
        v[i] = (float)(scale * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
    }
}

/* Every layer's output after the last forward, model against reference;
 * `pass` and `note` label the lines. Returns the number that failed. */
static int compare_probes(hep_model *m, const hep_model_info *info, const ref_state *ref, int batch, double tol,
                          const char *pass, const char *note)
{
    int failed = 0;
    for (int p = 0; p < info->num_probes; p++) {
        const hep_probe_info *pi = &info->probes[p];
        size_t count = (size_t)batch * pi->c * pi->h * pi->w;
        float *got = malloc(sizeof(float) * count);
        hep_model_probe(m, p, batch, got);
        double e = rel_error(got, ref->out[p < info->num_layers ? p : info->num_layers - 1], count);
        int bad = !(e <= tol);
        failed += bad;
        printf("  %-8s %-14s %-28s max rel error %.2e %s\n", pass, pi->name, note, e, bad ? "FAIL" : "ok");
        free(got);
    }
    return failed;
}

/* The running averages after a training forward (batch norm). */
static int compare_state(hep_model *m, const hep_model_info *info, const ref_state *ref, double tol)
{
    int failed = 0;
    for (int t = 0; t < info->num_state_tensors; t++) {
        const hep_tensor_info *ti = &info->state_tensors[t];
        double e = rel_error(hep_model_state(m) + ti->offset, ref->state + ti->offset, ti->count);
        int bad = !(e <= tol);
        failed += bad;
        printf("  forward  %-14s %-28s max rel error %.2e %s\n", ti->name, "running average update", e, bad ? "FAIL" : "ok");
    }
    return failed;
}

/* Inference (no dropout, no pool mask stored; with batch norm, the running
 * averages folded into the conv, set to other values than the initial
 * ones): every probe compared. */
static int check_inference(hep_model *m, const hep_model_info *info, ref_state *ref, const float *plain,
                           const float *x, int batch, double tol)
{
    float *state = hep_model_state(m);
    for (int t = 0; t < info->num_state_tensors; t++) {
        const hep_tensor_info *ti = &info->state_tensors[t];
        fill_normal(state + ti->offset, ti->count, 0.3, 13, (uint32_t)t);
        if (strstr(ti->name, "running_var"))
            for (size_t i = 0; i < ti->count; i++) state[ti->offset + i] = 0.5f + fabsf(state[ti->offset + i]);
    }
    memcpy(ref->state, state, sizeof(float) * info->num_state);
    hep_pass pass = { .training = 0, .keep_prob = 1.0f, .seed = 1234, .step = 3, .first_sample = 0 };
    ref_forward(ref, plain, x, &pass);
    hep_model_forward(m, x, batch, &pass, NULL);
    return compare_probes(m, info, ref, batch, tol, "infer", info->num_state > 0 ? "running averages folded" : "");
}

/* Parameters (biases non-zero too, so that their paths are exercised),
 * inputs, labels and weights of a test batch. */
static void fill_batch(const hep_model_info *info, int batch, float *plain, float *x, int *labels, float *weights)
{
    for (int t = 0; t < info->num_tensors; t++) {
        const hep_tensor_info *ti = &info->tensors[t];
        fill_normal(plain + ti->offset, ti->count, ti->kind == HEP_TENSOR_WEIGHT ? sqrt(2.0 / ti->fan_in) : 0.05, 7, (uint32_t)t);
        if (ti->kind == HEP_TENSOR_SCALE)
            for (size_t i = 0; i < ti->count; i++) plain[ti->offset + i] += 1.0f;
    }
    size_t X = (size_t)batch * info->in_channels * info->in_height * info->in_width;
    for (size_t i = 0; i < X; i++) x[i] = (float)hep_rng_uniform(11, 99, i);
    for (int n = 0; n < batch; n++) { labels[n] = n % info->num_classes; weights[n] = 0.5f + n; }
}

/* Every parameter's gradient, model against reference.
 * A pool window whose two largest values tie within float rounding may
 * route its gradient differently in the reference (double sums) than in
 * the model (float), and a ReLU input within rounding of 0 may pass its
 * gradient in one and not the other; both are correct. Below the deepest
 * such layer the gradients get a looser tolerance. One such element moves
 * one term of a weight gradient's sum over the pixels: at batch 1 with
 * ~1000 terms of either sign that is a few percent of the largest sum
 * (up to 6.8e-2 measured over 13 dropout seeds of hep224_bn, whose batch
 * norm puts many values near 0), so 0.15; a wrong index, layout or
 * routing gives 0.3 to 1.7 (swapping two pool positions' gradients in
 * hep224, hep64_bn, hep224_bn). `test_layers BATCH TOL SEED` checks
 * another seed's masks. */
static int compare_gradients(const hep_model_info *info, const ref_state *ref, const float *grads,
                             const float *ref_grads, double tol)
{
    int deepest_tie = -1, failed = 0;
    for (int l = 0; l < info->num_layers; l++)
        if (ref->near_ties[l] || ref->near_kinks[l]) {
            deepest_tie = l;
            printf("  note: %ld near-tie pool window(s), %ld ReLU input(s) near 0 in %s\n", ref->near_ties[l],
                   ref->near_kinks[l], info->layers[l].name);
        }
    for (int t = 0; t < info->num_tensors; t++) {
        const hep_tensor_info *ti = &info->tensors[t];
        int layer = 0;
        for (int l = 0; l < info->num_layers; l++)
            if (info->layers[l].weight == t || info->layers[l].bias == t ||
                info->layers[l].bn_scale == t || info->layers[l].bn_shift == t) layer = l;
        double tol_t = layer <= deepest_tie ? 1.5e-1 : tol;
        double e = rel_error(grads + ti->offset, ref_grads + ti->offset, ti->count);
        int bad = !(e <= tol_t);
        failed += bad;
        printf("  backward %-14s %-28s max rel error %.2e (tolerance %.2g) %s\n", ti->name, "gradient", e, tol_t,
               bad ? "FAIL" : "ok");
    }
    return failed;
}

int main(int argc, char **argv)
{
    int batch = argc > 1 ? atoi(argv[1]) : 2;
    double tol = argc > 2 ? atof(argv[2]) : 2e-4;
    const uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1234;   /* the dropout masks' */
    const hep_model_info *info = hep_model_info_get();
    char err[256];
    const int threads = omp_get_max_threads();   /* images left over from whole rounds: rows shared out */
    hep_model *m = hep_model_create(batch, threads, err, sizeof err);
    if (!m) { fprintf(stderr, "test_layers: %s\n", err); return 1; }

    size_t P = info->num_params, X = (size_t)batch * info->in_channels * info->in_height * info->in_width;
    float *plain = malloc(sizeof(float) * P), *grads = malloc(sizeof(float) * P);
    float *ref_grads = malloc(sizeof(float) * P), *x = malloc(sizeof(float) * X);
    int *labels = malloc(sizeof(int) * batch);
    float *weights = malloc(sizeof(float) * batch);
    ref_state ref;
    if (!plain || !grads || !ref_grads || !x || !labels || !weights || ref_init(&ref, info, batch) != 0) {
        fprintf(stderr, "test_layers: out of memory\n");
        return 1;
    }
    fill_batch(info, batch, plain, x, labels, weights);
    hep_model_params_from_plain(m, plain, hep_model_params(m));

    hep_pass pass = { .training = 1, .keep_prob = 0.5f, .seed = seed, .step = 3, .first_sample = 0 };
    memcpy(ref.state, hep_model_state(m), sizeof(float) * info->num_state);
    ref_forward(&ref, plain, x, &pass);
    hep_model_forward(m, x, batch, &pass, NULL);
    printf("%s (%s build, libxsmm target %s), batch %d, %d threads, tolerance %.1e (max |got-want| / max |want|)\n",
           info->network, info->arch, libxsmm_get_target_arch(), batch, threads, tol);
    int failed = compare_probes(m, info, &ref, batch, tol, "forward", "");
    failed += compare_state(m, info, &ref, tol);
    double ref_loss = ref_backward(&ref, plain, x, labels, weights, &pass, ref_grads);
    double loss = hep_model_backward(m, labels, weights, batch, &pass);
    double le = fabs(loss - ref_loss) / fabs(ref_loss);
    failed += !(le <= tol);
    printf("  loss     %-14s %-28s %.6f vs %.6f rel %.2e %s\n", "", "", loss, ref_loss, le, le <= tol ? "ok" : "FAIL");
    hep_model_params_to_plain(m, hep_model_grads(m), grads);
    failed += compare_gradients(info, &ref, grads, ref_grads, tol);
    failed += check_inference(m, info, &ref, plain, x, batch, tol);
    ref_free(&ref);
    hep_model_destroy(m);
    free(plain); free(grads); free(ref_grads); free(x); free(labels); free(weights);
    printf("%s: %s\n", info->network, failed ? "FAILED" : "all layers match the reference");
    return failed ? 1 : 0;
}
