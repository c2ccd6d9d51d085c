/* make tune's timing driver: trains STEPS steps of random data through one
 * generated model (a candidate blocking) and prints the median per layer
 * and pass, and of the whole forward+backward:
 *
 *   layer <name> <forward ms> <backward-data ms> <backward-weights ms>
 *   step <ms>
 *
 * No warm-up step: the model touches its memory and JIT-compiles its
 * kernels when it is made, and a run's first step was no slower than the
 * next three as a whole, nor in any conv's pass beyond their spread
 * (hep224 skx b16 and hep64 skx b64, 3 runs each, Intel family 6 model
 * 167; the first conv's forward was about 10% faster in it, in every
 * run). The median of 3, make tune's default, passes over one odd step,
 * and a warm-up step cost make tune a quarter of its timing.
 *
 * usage: tune_model BATCH STEPS */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include <model.h>

#include "timing.h"

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: tune_model BATCH STEPS\n"); return 2; }
    const int batch = atoi(argv[1]), steps = atoi(argv[2]);
    if (batch < 1 || steps < 1) { fprintf(stderr, "tune_model: BATCH and STEPS must be positive\n"); return 2; }
    const hep_model_info *info = hep_model_info_get();
    char err[512];
    hep_model *m = hep_model_create(batch, omp_get_max_threads(), err, sizeof err);
    if (!m) { fprintf(stderr, "tune_model: %s\n", err); return 1; }
    unsigned state = 12345;
    const size_t image = (size_t)info->in_channels * info->in_height * info->in_width;
    float *x = malloc(sizeof(float) * image * batch);
    int *labels = malloc(sizeof(int) * batch);
    double *t = malloc(sizeof(double) * steps * (3 * info->num_layers + 1));
    hep_layer_time *lt = malloc(sizeof(hep_layer_time) * info->num_layers);
    if (!x || !labels || !t || !lt) { fprintf(stderr, "tune_model: out of memory\n"); return 1; }
    fill(hep_model_params(m), info->num_internal, &state, 0.05f);
    fill(x, image * batch, &state, 2.0f);
    for (int i = 0; i < batch; i++) labels[i] = i % info->num_classes;
    for (int s = 0; s < steps; s++) {
        hep_pass pass = { .training = 1, .keep_prob = 0.5f, .seed = 1, .step = (uint64_t)s };
        hep_model_reset_layer_times(m);
        double t0 = omp_get_wtime();
        hep_model_forward(m, x, batch, &pass, NULL);
        hep_model_backward(m, labels, NULL, batch, &pass);
        double dt = omp_get_wtime() - t0;
        hep_model_layer_times(m, lt);
        for (int l = 0; l < info->num_layers; l++) {
            t[(3 * l + 0) * steps + s] = lt[l].forward;
            t[(3 * l + 1) * steps + s] = lt[l].backward_data;
            t[(3 * l + 2) * steps + s] = lt[l].backward_weights;
        }
        t[3 * info->num_layers * steps + s] = dt;
    }
    for (int l = 0; l < info->num_layers; l++)
        printf("layer %s %.3f %.3f %.3f\n", info->layers[l].name, 1e3 * median(t + (3 * l) * steps, steps),
               1e3 * median(t + (3 * l + 1) * steps, steps), 1e3 * median(t + (3 * l + 2) * steps, steps));
    printf("step %.3f\n", 1e3 * median(t + 3 * info->num_layers * steps, steps));
    free(x); free(labels); free(t); free(lt);
    hep_model_destroy(m);
    return 0;
}
