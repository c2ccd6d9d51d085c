/* Builds of one network compared in one process (make variant's
 * DIR/model.so): loads each, then trains STEPS steps of each after two
 * warm-up steps, one step of each in turn, the order reversed every other
 * step, and prints per layer and pass, and for the whole step, each build's
 * least and median milliseconds:
 *
 *   usage: ab_models BATCH STEPS DIR...
 *
 * Why: on the shared development hosts the same build's step read 167-330
 * ms from one run to the next (hep64, skx, 2 threads, an Intel host), so
 * that builds timed run after run (tools/tune_model.c) could not tell 10%
 * apart. Here every build sees the same seconds of the machine, and a
 * layer's least over the steps drops what other guests added. The order is
 * reversed because the places in it were not equal: two copies of one
 * library read 2-4% apart in their least steps. Reversing does not even
 * out the order of loading: the same hep224 build at places 1 and 4 of
 * four read 18.43 and 16.98 ms medians for conv1's forward and 253.9 and
 * 245.1 for the step (skx, the Intel host), falling from place to place.
 * That bias came from the arenas' 4 KiB pages (where the kernel put each
 * arena's frames): since the arena asks for huge pages (templates/model.c,
 * hep_model_create) the same build reads alike at places 1 and 4. A build
 * from before that change is still biased, so give each build two places
 * (copies of its DIR: A B B' A') or run both orders, and believe only a
 * difference that holds in both.
 *
 * Each step here starts with another build's data in the caches, which a
 * training run's steps never do: hep64 (skx, the Intel host, 2026-12-06)
 * with conv2 by F(8x8) read 79.6-81.7 ms a step here against 78.5-78.8 by
 * F(4x4), while the training binary, runs of 50 steps alternated, took
 * 74.2-76.0 against 78.1-78.7. Check a choice made here with whole runs
 * (make tune's races, or the training binary). */
#include <dlfcn.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <model.h>

#include "timing.h"

/* One build: its library's entry points and its model. */
typedef struct {
    const char *dir;
    void *lib;
    const hep_model_info *(*info)(void);
    hep_model *(*create)(int, int, char *, size_t);
    void (*destroy)(hep_model *);
    float *(*params)(hep_model *);
    void (*forward)(hep_model *, const float *, int, const hep_pass *, float *);
    double (*backward)(hep_model *, const int *, const float *, int, const hep_pass *);
    void (*layer_times)(const hep_model *, hep_layer_time *);
    void (*reset_layer_times)(hep_model *);
    hep_model *model;
} loaded_build;

static void *symbol(loaded_build *c, const char *name)
{
    void *p = dlsym(c->lib, name);
    if (!p) fprintf(stderr, "ab_models: %s/model.so has no %s: %s\n", c->dir, name, dlerror());
    return p;
}

/* Loads DIR/model.so (each library keeps its own symbols: RTLD_LOCAL) and
 * creates its model. Returns 0, or -1 with a message. */
static int load(loaded_build *c, const char *dir, int batch)
{
    char path[4096], err[512];
    c->dir = dir;
    snprintf(path, sizeof path, "%s/model.so", dir);
    c->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!c->lib) { fprintf(stderr, "ab_models: cannot load %s: %s\n", path, dlerror()); return -1; }
    /* POSIX's way to a function pointer from dlsym */
#define ENTRY(field, name) ((*(void **)&c->field = symbol(c, name)) != NULL)
    if (!ENTRY(info, "hep_model_info_get") || !ENTRY(create, "hep_model_create") || !ENTRY(destroy, "hep_model_destroy")
        || !ENTRY(params, "hep_model_params") || !ENTRY(forward, "hep_model_forward")
        || !ENTRY(backward, "hep_model_backward") || !ENTRY(layer_times, "hep_model_layer_times")
        || !ENTRY(reset_layer_times, "hep_model_reset_layer_times"))
        return -1;
#undef ENTRY
    c->model = c->create(batch, omp_get_max_threads(), err, sizeof err);
    if (!c->model) { fprintf(stderr, "ab_models: %s: %s\n", dir, err); return -1; }
    const hep_model_info *info = c->info();
    unsigned state = 12345;
    fill(c->params(c->model), info->num_internal, &state, 0.05f);
    return 0;
}

/* Whether b's network has a's name, layers and inputs. */
static int same_network(const hep_model_info *a, const hep_model_info *b)
{
    if (strcmp(a->network, b->network) != 0 || a->num_layers != b->num_layers || a->in_channels != b->in_channels
        || a->in_height != b->in_height || a->in_width != b->in_width || a->num_classes != b->num_classes)
        return 0;
    for (int l = 0; l < a->num_layers; l++)
        if (strcmp(a->layers[l].name, b->layers[l].name) != 0) return 0;
    return 1;
}

/* One training step of c; its layer times into t (the build's
 * [3 * layers + 1][steps] figures) at step s unless s < 0 (warm-up). */
static void step(loaded_build *c, const float *x, const int *labels, int batch, int s, int steps, double *t,
                 hep_layer_time *lt)
{
    const int layers = c->info()->num_layers;
    hep_pass pass = { .training = 1, .keep_prob = 0.5f, .seed = 1, .step = (uint64_t)(s + 2) };
    c->reset_layer_times(c->model);
    const double t0 = omp_get_wtime();
    c->forward(c->model, x, batch, &pass, NULL);
    c->backward(c->model, labels, NULL, batch, &pass);
    const double dt = omp_get_wtime() - t0;
    if (s < 0) return;
    c->layer_times(c->model, lt);
    for (int l = 0; l < layers; l++) {
        t[(3 * l + 0) * steps + s] = lt[l].forward;
        t[(3 * l + 1) * steps + s] = lt[l].backward_data;
        t[(3 * l + 2) * steps + s] = lt[l].backward_weights;
    }
    t[3 * layers * steps + s] = dt;
}

/* "least/median" of n figures, in ms. */
static void print_figures(double *v, int n)
{
    const double med = median(v, n);   /* sorts v */
    printf("  %9.2f/%-9.2f", 1e3 * v[0], 1e3 * med);
}

/* A table: per layer and pass (and the whole step), each build's figures. */
static void report(const loaded_build *c, int n, double *t, size_t figures, int steps)
{
    static const char *pass_names[3] = { "forward", "backward-data", "backward-weights" };
    const hep_model_info *info = c[0].info();
    printf("%-14s %-17s", "layer", "pass");
    for (int i = 0; i < n; i++) printf("  %-19s", c[i].dir);
    printf("\n(ms: least/median over the steps)\n");
    for (int row = 0; row <= 3 * info->num_layers; row++) {
        const int layer = row / 3;
        printf("%-14s %-17s", layer < info->num_layers ? info->layers[layer].name : "step",
               layer < info->num_layers ? pass_names[row % 3] : "all");
        for (int i = 0; i < n; i++) print_figures(t + figures * i + (size_t)row * steps, steps);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: ab_models BATCH STEPS DIR...\n"); return 2; }
    const int batch = atoi(argv[1]), steps = atoi(argv[2]), n = argc - 3;
    if (batch < 1 || steps < 1) { fprintf(stderr, "ab_models: BATCH and STEPS must be positive\n"); return 2; }
    loaded_build *c = calloc((size_t)n, sizeof *c);
    if (!c) { fprintf(stderr, "ab_models: out of memory\n"); return 1; }
    for (int i = 0; i < n; i++) {
        if (load(&c[i], argv[3 + i], batch) != 0) return 1;
        if (!same_network(c[0].info(), c[i].info())) {
            fprintf(stderr, "ab_models: %s holds another network than %s\n", c[i].dir, c[0].dir);
            return 1;
        }
    }
    const hep_model_info *info = c[0].info();
    const size_t image = (size_t)info->in_channels * info->in_height * info->in_width;
    const size_t figures = (size_t)steps * (3 * info->num_layers + 1);
    float *x = malloc(sizeof(float) * image * batch);
    int *labels = malloc(sizeof(int) * batch);
    double *t = malloc(sizeof(double) * figures * n);
    hep_layer_time *lt = malloc(sizeof(hep_layer_time) * info->num_layers);
    if (!x || !labels || !t || !lt) { fprintf(stderr, "ab_models: out of memory\n"); return 1; }
    unsigned state = 54321;
    fill(x, image * batch, &state, 2.0f);
    for (int i = 0; i < batch; i++) labels[i] = i % info->num_classes;
    printf("%s: %d builds, batch %d, %d steps each after 2 warm-up steps, a step of each in turn (reversed every other step)\n", info->network, n,
           batch, steps);
    for (int s = -2; s < steps; s++)
        for (int k = 0; k < n; k++) {
            const int i = s % 2 ? n - 1 - k : k;   /* every other step in reverse */
            step(&c[i], x, labels, batch, s, steps, t + figures * i, lt);
        }
    report(c, n, t, figures, steps);
    for (int i = 0; i < n; i++) c[i].destroy(c[i].model);
    free(x); free(labels); free(t); free(lt); free(c);
    return 0;
}
