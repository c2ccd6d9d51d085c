/* Times a generated network's whole training step (forward, backward, Adam:
 * what the training loop does) and forward-only inference, per layer and
 * pass, against the machine's GEMM peak and (when built with oneDNN) oneDNN's
 * convolutions on the same shapes, all measured in the same run.
 * Usage: bench_model BATCH STEPS [JSON_OUT] [ROUNDS]
 * ROUNDS (default 3; make bench takes 9 of 2 steps) rounds of STEPS steps
 * each for hepcnn and for oneDNN, alternating. Prints a table; with
 * JSON_OUT ("" for none) also appends one JSON object per run.
 * STEPS 0: memory only -- one training step, then the peak resident memory. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <model.h>

#include "../runtime/cpu_host.h"
#include "../runtime/init.h"
#include "../runtime/optim.h"
#include "../runtime/rng.h"
#include "peak.h"
#ifdef HEP_HAVE_DNNL
#include "onednn.h"
#endif

static const char *alg_name(char a) { return a == 'w' ? "Winograd" : a == 'd' ? "direct" : "-"; }

/* Busy and total jiffies of the whole machine, from /proc/stat. */
static int machine_jiffies(double *busy, double *total)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = { 0 };
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 5) return -1;
    *total = 0;
    for (int i = 0; i < 8; i++) *total += (double)v[i];
    *busy = *total - (double)v[3] - (double)v[4];
    return 0;
}

static double own_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + 1e-6 * ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + 1e-6 * ru.ru_stime.tv_usec;
}

/* The process's peak resident memory so far, MiB. */
static double max_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of n values (sorts a copy). */
static double median(const double *v, int n)
{
    double *c = malloc(sizeof(double) * n);
    memcpy(c, v, sizeof(double) * n);
    qsort(c, (size_t)n, sizeof(double), cmp_double);
    double mid = c[n / 2];
    free(c);
    return mid;
}

/* A model ready to train on one batch of random images. */
typedef struct {
    hep_model *m;
    hep_adam adam;
    float *x;
    int *labels;
} bench_setup;

static int setup(bench_setup *b, const hep_model_info *info, int batch, int threads)
{
    char err[512];
    b->m = hep_model_create(batch, threads, err, sizeof err);
    if (!b->m) { fprintf(stderr, "bench: %s\n", err); return -1; }
    hep_init_params(b->m, info, 1);
    hep_adam_init(&b->adam, info->num_internal, 1e-4, 0.0);
    size_t X = (size_t)batch * info->in_channels * info->in_height * info->in_width;
    b->x = malloc(sizeof(float) * X);
    b->labels = malloc(sizeof(int) * batch);
    if (!b->x || !b->labels) { fprintf(stderr, "bench: out of memory\n"); return -1; }
    for (size_t i = 0; i < X; i++) b->x[i] = (float)hep_rng_uniform(3, 1, i);
    for (int i = 0; i < batch; i++) b->labels[i] = i % info->num_classes;
    return 0;
}

static void teardown(bench_setup *b)
{
    hep_adam_free(&b->adam);
    hep_model_destroy(b->m);
    free(b->x);
    free(b->labels);
}

/* Peak resident memory of a training step at this batch (the whole process:
 * model arena, optimiser state, one batch of input). */
static int memory_only(const hep_model_info *info, int batch, int threads, const char *json)
{
    bench_setup b;
    if (setup(&b, info, batch, threads) != 0) return 1;
    hep_pass pass = { .training = 1, .keep_prob = 0.5f, .seed = 1, .step = 1 };
    double t0 = omp_get_wtime();
    hep_model_forward(b.m, b.x, batch, &pass, NULL);
    hep_model_backward(b.m, b.labels, NULL, batch, &pass);
    hep_adam_update(&b.adam, info, hep_model_params(b.m), hep_model_grads(b.m));
    double dt = omp_get_wtime() - t0, rss_mib = max_rss_mib();
    printf("%s (%s), batch %d, one training step (%.1f s): peak resident memory %.1f MiB (%.2f GB)\n",
           info->network, info->arch, batch, dt, rss_mib, rss_mib * 1048576.0 / 1e9);
    if (json) {
        FILE *f = fopen(json, "a");
        if (!f) { perror(json); return 1; }
        fprintf(f, "{\"network\": \"%s\", \"arch\": \"%s\", \"batch\": %d, \"memory_only\": true, "
                   "\"max_rss_mib\": %.1f}\n", info->network, info->arch, batch, rss_mib);
        fclose(f);
    }
    teardown(&b);
    return 0;
}

/* What the machine's other processes did during the run: its busy and total
 * jiffies, this process's CPU time and the wall clock at the start. */
typedef struct {
    double busy, total, own_cpu, wall;
} machine_use;

static machine_use machine_use_now(void)
{
    machine_use u = { 0, 0, own_cpu_seconds(), omp_get_wtime() };
    machine_jiffies(&u.busy, &u.total);
    return u;
}

/* Other processes' share of the machine since `start`, percent (-1 when
 * /proc/stat cannot tell); the wall-clock seconds since into *wall. */
static double others_pct(const machine_use *start, double *wall)
{
    machine_use end = machine_use_now();
    long hz = sysconf(_SC_CLK_TCK);
    *wall = end.wall - start->wall;
    if (!(end.total > start->total) || hz <= 0) return -1;
    double own_jiffies = (end.own_cpu - start->own_cpu) * hz;
    double others = 100.0 * ((end.busy - start->busy) - own_jiffies) / (end.total - start->total);
    return others < 0 ? 0 : others;
}

/* Everything a timed run measures. Layer times are sums over every timed
 * step of every round (seconds), oneDNN's are per round (ms). */
typedef struct {
    int batch, steps, rounds, layers;
    double *t_train, *t_infer;        /* [rounds][steps]: each step, seconds */
    double *round_train, *round_fwd;  /* [rounds]: each round's median step */
    hep_layer_time *lt, *lti;         /* [layers]: training passes; inference's forward */
    hep_layer_time *acc;              /* [layers]: one round's, before they are added up */
    double (*dnnl_round)[3];          /* [rounds][layers]: oneDNN's best algorithm, ms per pass */
    char (*dnnl_alg)[3];              /* [rounds][layers]: which algorithm that was ('w', 'd') */
    double (*direct_round)[3];        /* [rounds][layers]: oneDNN's direct algorithm */
    double adam_s;                    /* the optimiser, summed over the timed steps */
    double hepcnn_rss_mib;            /* taken before oneDNN first runs: its buffers then count too */
    int have_dnnl;                    /* until a round fails: a ratio needs oneDNN's times from every round */
    const char *onednn_isa;
} bench_times;

static void times_free(bench_times *t)
{
    free(t->t_train); free(t->t_infer); free(t->round_train); free(t->round_fwd);
    free(t->lt); free(t->lti); free(t->acc);
    free(t->dnnl_round); free(t->dnnl_alg); free(t->direct_round);
}

static int times_alloc(bench_times *t, int layers, int batch, int steps, int rounds)
{
    memset(t, 0, sizeof *t);
    t->batch = batch, t->steps = steps, t->rounds = rounds, t->layers = layers;
    const size_t total = (size_t)steps * rounds, cells = (size_t)layers * rounds;
    t->t_train = malloc(sizeof(double) * total);
    t->t_infer = malloc(sizeof(double) * total);
    t->round_train = malloc(sizeof(double) * rounds);
    t->round_fwd = malloc(sizeof(double) * rounds);
    t->lt = calloc((size_t)layers, sizeof *t->lt);
    t->lti = calloc((size_t)layers, sizeof *t->lti);
    t->acc = calloc((size_t)layers, sizeof *t->acc);
    t->dnnl_round = calloc(cells, sizeof *t->dnnl_round);
    t->dnnl_alg = calloc(cells, sizeof *t->dnnl_alg);
    t->direct_round = calloc(cells, sizeof *t->direct_round);
#ifdef HEP_HAVE_DNNL
    t->have_dnnl = 1;
    t->onednn_isa = hep_onednn_isa();
#else
    t->onednn_isa = "";
#endif
    if (t->t_train && t->t_infer && t->round_train && t->round_fwd && t->lt && t->lti && t->acc && t->dnnl_round &&
        t->dnnl_alg && t->direct_round)
        return 0;
    fprintf(stderr, "bench: out of memory\n");
    times_free(t);
    return -1;
}

/* Round r's training steps (two warm-up steps first in round 0), each
 * forward, backward and Adam, as the training loop does them. */
static void time_training(bench_setup *b, const hep_model_info *info, bench_times *t, int r)
{
    hep_pass pass = { .training = 1, .keep_prob = 0.5f, .seed = 1 };
    for (int s = r ? 0 : -2; s < t->steps; s++) {
        if (s == 0) hep_model_reset_layer_times(b->m);
        pass.step = (uint64_t)(r * t->steps + s + 2);
        double t0 = omp_get_wtime();
        hep_model_forward(b->m, b->x, t->batch, &pass, NULL);
        hep_model_backward(b->m, b->labels, NULL, t->batch, &pass);
        double t_opt = omp_get_wtime();
        hep_adam_update(&b->adam, info, hep_model_params(b->m), hep_model_grads(b->m));
        if (s >= 0) {
            double t1 = omp_get_wtime();
            t->t_train[r * t->steps + s] = t1 - t0;
            t->adam_s += t1 - t_opt;
        }
    }
    hep_model_layer_times(b->m, t->acc);
    for (int l = 0; l < t->layers; l++) {
        t->lt[l].forward += t->acc[l].forward;
        t->lt[l].backward_data += t->acc[l].backward_data;
        t->lt[l].backward_weights += t->acc[l].backward_weights;
    }
}

/* Round r's inference steps (one warm-up step first in round 0). */
static void time_inference(bench_setup *b, bench_times *t, int r)
{
    const hep_pass infer = { .training = 0, .keep_prob = 1.0f, .seed = 1 };
    for (int s = r ? 0 : -1; s < t->steps; s++) {
        if (s == 0) hep_model_reset_layer_times(b->m);
        double t0 = omp_get_wtime();
        hep_model_forward(b->m, b->x, t->batch, &infer, NULL);
        if (s >= 0) t->t_infer[r * t->steps + s] = omp_get_wtime() - t0;
    }
    hep_model_layer_times(b->m, t->acc);
    for (int l = 0; l < t->layers; l++) t->lti[l].forward += t->acc[l].forward;
}

/* Rounds of (hepcnn training steps, hepcnn inference steps, oneDNN's
 * convolutions), one after the other: a neighbour that slows the machine
 * for a few seconds then hits both sides of some round, not one side of
 * the whole comparison. The ratios are the median over the rounds. */
static void time_rounds(bench_setup *b, const hep_model_info *info, bench_times *t)
{
    for (int r = 0; r < t->rounds; r++) {
        time_training(b, info, t, r);
        time_inference(b, t, r);
        if (r == 0) t->hepcnn_rss_mib = max_rss_mib();
#ifdef HEP_HAVE_DNNL
        const size_t at = (size_t)r * t->layers;
        if (t->have_dnnl)
            t->have_dnnl = hep_onednn_conv_times(info, t->batch, t->steps, t->dnnl_round + at, t->dnnl_alg + at,
                                                 t->direct_round + at) == 0;
#else
        (void)info;
#endif
        t->round_train[r] = median(t->t_train + r * t->steps, t->steps);
        t->round_fwd[r] = median(t->t_infer + r * t->steps, t->steps);
    }
}

/* The figures printed and written, from a run's times. */
typedef struct {
    hep_peak best;                  /* the larger of the peaks before and after */
    double peak_start, peak_end;
    double train, inf;              /* median step, seconds */
    double train_gf, inf_gf;        /* GFLOP/s */
    double (*dnnl_ms)[3];           /* [layers]: oneDNN's median over the rounds, ms */
    double dnnl_train, dnnl_fwd;    /* its sums over the layers, ms */
    double ratio_train[64], ratio_fwd[64];     /* per round (rounds <= 64): hepcnn / oneDNN's best */
    double direct_train[64], direct_fwd[64];   /* the same against oneDNN's direct algorithm */
    double others, wall;            /* other processes' CPU use (percent, -1 unknown), seconds */
} bench_figures;

/* oneDNN's per layer and pass (median over the rounds) and its sums. */
static int onednn_medians(const bench_times *t, bench_figures *f)
{
    f->dnnl_ms = calloc((size_t)t->layers, sizeof *f->dnnl_ms);
    double col[64];   /* rounds <= 64 */
    if (!f->dnnl_ms) { fprintf(stderr, "bench: out of memory\n"); return -1; }
    for (int l = 0; l < t->layers; l++)
        for (int p = 0; p < 3; p++) {
            for (int r = 0; r < t->rounds; r++) col[r] = t->dnnl_round[(size_t)r * t->layers + l][p];
            f->dnnl_ms[l][p] = median(col, t->rounds);
            f->dnnl_train += f->dnnl_ms[l][p];
            if (p == 0) f->dnnl_fwd += f->dnnl_ms[l][p];
        }
    return 0;
}

/* Each round's ratios: oneDNN's convolutions of the round against the
 * round's median hepcnn step. */
static void round_ratios(const bench_times *t, bench_figures *f)
{
    for (int r = 0; r < t->rounds; r++) {
        double dt = 0, df = 0, xt = 0, xf = 0;
        for (int l = 0; l < t->layers; l++) {
            const double *d = t->dnnl_round[(size_t)r * t->layers + l];
            const double *x = t->direct_round[(size_t)r * t->layers + l];
            dt += d[0] + d[1] + d[2];
            df += d[0];
            xt += x[0] + x[1] + x[2];
            xf += x[0];
        }
        f->ratio_train[r] = dt / 1e3 / t->round_train[r];
        f->ratio_fwd[r] = df / 1e3 / t->round_fwd[r];
        f->direct_train[r] = xt / 1e3 / t->round_train[r];
        f->direct_fwd[r] = xf / 1e3 / t->round_fwd[r];
    }
}

static void print_summary(const hep_model_info *info, const bench_times *t, const bench_figures *f)
{
    const double peak = f->best.peak;
    const int batch = t->batch, rounds = t->rounds;
    printf("%s (%s), batch %d, %d threads, %d rounds of %d steps (medians)\n", info->network, info->arch, batch,
           omp_get_max_threads(), rounds, t->steps);
    hep_note_tuning_host(info);   /* a build tuned on another CPU than this one */
    printf("  machine peak (now)         %8.1f GFLOP/s  (larger of %.1f before and %.1f after)\n", peak,
           f->peak_start, f->peak_end);
    printf("    = max of: FMA loop %d-wide %.1f, best libxsmm GEMM %.1f (m=%d n=%d k=%d)\n", f->best.vector_floats,
           f->best.fma, f->best.gemm, f->best.m, f->best.n, f->best.k);
    printf("  training step              %8.2f img/s  %7.1f GFLOP/s  %5.1f%% of peak  (%.1f ms/step)\n",
           batch / f->train, f->train_gf, 100 * f->train_gf / peak, 1e3 * f->train);
    printf("  forward only (inference)   %8.2f img/s  %7.1f GFLOP/s  %5.1f%% of peak\n", batch / f->inf, f->inf_gf,
           100 * f->inf_gf / peak);
    printf("  peak resident memory       %8.1f MiB  (hepcnn's, before oneDNN ran in this process)\n", t->hepcnn_rss_mib);
    if (t->have_dnnl) {
        printf("  oneDNN's best convolutions %8.2f img/s training (fwd + bwd-data + bwd-weights), %.2f img/s forward"
               " (its %s code)\n", batch / (f->dnnl_train / 1e3), batch / (f->dnnl_fwd / 1e3), t->onednn_isa);
        printf("  hepcnn / oneDNN's best     %8.2fx training (whole step vs convolutions alone), %.2fx forward\n",
               median(f->ratio_train, rounds), median(f->ratio_fwd, rounds));
        printf("  (median over the rounds; training per round:");
        for (int r = 0; r < rounds; r++) printf(" %.2f", f->ratio_train[r]);
        printf(", forward:");
        for (int r = 0; r < rounds; r++) printf(" %.2f", f->ratio_fwd[r]);
        printf(")\n");
        printf("  hepcnn / oneDNN direct     %8.2fx training, %.2fx forward (its direct algorithm only; per round:",
               median(f->direct_train, rounds), median(f->direct_fwd, rounds));
        for (int r = 0; r < rounds; r++) printf(" %.2f", f->direct_train[r]);
        printf(")\n");
    } else {
        printf("  oneDNN                     not built in (install libdnnl-dev and rebuild)\n");
    }
    /* Contention from outside this machine (a virtual machine's neighbours)
     * does not show in /proc/stat; it shows as a peak that moved. */
    int peak_moved = fabs(f->peak_start - f->peak_end) > 0.1 * peak;
    if (f->others >= 0)
        printf("  other processes' CPU use   %8.1f%% of the machine during this run (%.0f s); peak %s: %s\n", f->others,
               f->wall, peak_moved ? "moved by more than 10%" : "steady",
               f->others < 5 && !peak_moved ? "quiet" : "NOISY, figures may be low or inconsistent");
}

/* A layer's ms per pass (forward, backward-data, backward-weights,
 * inference), means over the timed steps. */
static void layer_ms(const bench_times *t, int l, double ms[4])
{
    const int total = t->steps * t->rounds;
    ms[0] = 1e3 * t->lt[l].forward / total;
    ms[1] = 1e3 * t->lt[l].backward_data / total;
    ms[2] = 1e3 * t->lt[l].backward_weights / total;
    ms[3] = 1e3 * t->lti[l].forward / total;
}

/* A layer's line of the table, and oneDNN's beneath a conv's. */
static void print_layer(const hep_model_info *info, const bench_times *t, const bench_figures *f, int l)
{
    const hep_layer_info *li = &info->layers[l];
    double ms[4];
    layer_ms(t, l, ms);
    double gflop = li->flops * t->batch / 1e9;   /* per pass */
    /* the first conv computes no backward-data: its column shows only the epilogue */
    int counts[4] = { gflop > 0, gflop > 0 && l > 0, gflop > 0, gflop > 0 };
    char pct[4][16];
    for (int p = 0; p < 4; p++) {
        if (counts[p] && ms[p] > 0) snprintf(pct[p], sizeof pct[p], "%6.1f", 100 * gflop / (ms[p] / 1e3) / f->best.peak);
        else snprintf(pct[p], sizeof pct[p], "%6s", "-");
    }
    char algo[64] = "";
    if (li->winograd_passes)
        snprintf(algo, sizeof algo, "   (Winograd F(%dx%d,3x3):%s%s%s)", li->winograd_tile, li->winograd_tile,
                 li->winograd_passes & 1 ? " fwd" : "", li->winograd_passes & 2 ? " bwd-d" : "",
                 li->winograd_passes & 4 ? " bwd-w" : "");
    printf("  %-14s %10.2f %s %10.2f %s %10.2f %s %10.2f %s%s\n", li->name, ms[0], pct[0], ms[1], pct[1], ms[2],
           pct[2], ms[3], pct[3], algo);
    if (t->have_dnnl && li->kind == HEP_LAYER_CONV) {
        const double *d = f->dnnl_ms[l];
        const char *alg = t->dnnl_alg[l];   /* round 0's */
        printf("  %-14s %10.2f %5.2fx %10.2f %5.2fx %10.2f %5.2fx   (oneDNN's algorithm: %s, %s, %s)\n",
               "  oneDNN", d[0], d[0] / ms[0], d[1], l > 0 ? d[1] / ms[1] : 0.0, d[2], d[2] / ms[2],
               alg_name(alg[0]), l > 0 ? alg_name(alg[1]) : "-", alg_name(alg[2]));
    }
}

/* The per-layer table, then what the layer timers do not cover: the
 * optimiser, and the sums of the threads' private weight gradients, loss
 * and glue. */
static void print_layers(const hep_model_info *info, const bench_times *t, const bench_figures *f)
{
    printf("  per layer and pass: hepcnn ms, %% of peak%s\n", t->have_dnnl ? ", oneDNN ms and hepcnn speed relative to it" : "");
    printf("  (GFLOP/s and %% of peak count a 3x3 convolution's direct FLOPs: for Winograd passes they are effective\n"
           "  figures, above 100%% when fewer multiplications are done)\n");
    printf("  %-14s %10s %6s %10s %6s %10s %6s %10s %6s\n", "layer", "fwd ms", "%pk", "bwd-d ms", "%pk", "bwd-w ms", "%pk",
           "infer ms", "%pk");
    double layers_ms = 0;
    for (int l = 0; l < info->num_layers; l++) {
        print_layer(info, t, f, l);
        double ms[4];
        layer_ms(t, l, ms);
        layers_ms += ms[0] + ms[1] + ms[2];
    }
    const int total = t->steps * t->rounds;
    printf("  %-14s %10.2f ms/step (parameters and both Adam moments, once each)\n", "Adam", 1e3 * t->adam_s / total);
    /* the layer timers are sums over the steps, so the mean step here */
    double train_mean = 0;
    for (int s = 0; s < total; s++) train_mean += t->t_train[s] / total;
    printf("  %-14s %10.2f ms/step (the mean step less the layers and Adam: gradient sums, loss, glue)\n", "rest",
           1e3 * train_mean - layers_ms - 1e3 * t->adam_s / total);
    /* What a training pass adds to the first conv's forward: dropout's
     * draws and the pool mask bytes that only backward reads. */
    double first[4];
    layer_ms(t, 0, first);
    if (info->layers[0].kind == HEP_LAYER_CONV && first[3] > 0)
        printf("  %-14s %10.2fx its inference time (dropout's draws, the mask bytes; target <= 1.15)\n",
               "first conv fwd", first[0] / first[3]);
}

/* One JSON object for the run, appended to `path`. */
static int write_json(const char *path, const hep_model_info *info, const bench_times *t, const bench_figures *f)
{
    FILE *out = fopen(path, "a");
    if (!out) { perror(path); return -1; }
    const int batch = t->batch, dnnl = t->have_dnnl;
    fprintf(out, "{\"network\": \"%s\", \"arch\": \"%s\", \"batch\": %d, \"threads\": %d, \"steps\": %d, "
                 "\"peak_gflops\": %.1f, \"train_img_s\": %.3f, \"train_gflops\": %.1f, \"train_pct_peak\": %.1f, "
                 "\"infer_img_s\": %.3f, \"infer_gflops\": %.1f, \"max_rss_mib\": %.1f, \"other_cpu_pct\": %.1f, "
                 "\"onednn_train_img_s\": %.3f, \"onednn_fwd_img_s\": %.3f, \"rounds\": %d, "
                 "\"ratio_train\": %.3f, \"ratio_fwd\": %.3f, \"onednn_isa\": \"%s\", \"layers\": [",
            info->network, info->arch, batch, omp_get_max_threads(), t->steps, f->best.peak, batch / f->train,
            f->train_gf, 100 * f->train_gf / f->best.peak, batch / f->inf, f->inf_gf, t->hepcnn_rss_mib, f->others,
            dnnl ? batch / (f->dnnl_train / 1e3) : 0.0, dnnl ? batch / (f->dnnl_fwd / 1e3) : 0.0, t->rounds,
            dnnl ? median(f->ratio_train, t->rounds) : 0.0, dnnl ? median(f->ratio_fwd, t->rounds) : 0.0,
            dnnl ? t->onednn_isa : "");
    for (int l = 0; l < info->num_layers; l++) {
        double ms[4];
        layer_ms(t, l, ms);
        fprintf(out, "%s{\"name\": \"%s\", \"fwd_ms\": %.3f, \"bwd_data_ms\": %.3f, \"bwd_weights_ms\": %.3f, "
                     "\"infer_ms\": %.3f, \"gflop\": %.4f, \"onednn_ms\": [%.3f, %.3f, %.3f]}",
                l ? ", " : "", info->layers[l].name, ms[0], ms[1], ms[2], ms[3], info->layers[l].flops * batch / 1e9,
                f->dnnl_ms[l][0], f->dnnl_ms[l][1], f->dnnl_ms[l][2]);
    }
    fprintf(out, "]}\n");
    if (fclose(out) != 0) { perror(path); return -1; }
    return 0;
}

/* "auto": make tune's batch (gen/tune.lua), 16 images for inputs 128 pixels
 * high or more (hep224's, as the seed's Cori configs), 64 for smaller. */
static int default_or_batch(const hep_model_info *info, const char *arg)
{
    if (strcmp(arg, "auto") == 0) return info->in_height >= 128 ? 16 : 64;
    return atoi(arg);
}

int main(int argc, char **argv)
{
    const hep_model_info *info = hep_model_info_get();
    int batch = argc > 1 ? default_or_batch(info, argv[1]) : 16, steps = argc > 2 ? atoi(argv[2]) : 10;
    const char *json = argc > 3 && argv[3][0] ? argv[3] : NULL;
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (batch < 1 || steps < 0 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "usage: bench_model BATCH|auto STEPS [JSON_OUT] [ROUNDS]: BATCH >= 1, STEPS >= 0, ROUNDS 1..64\n");
        return 2;
    }
    int threads = omp_get_max_threads();
    const char *target = getenv("LIBXSMM_TARGET") ? NULL : info->libxsmm_target;
    if (steps == 0) return memory_only(info, batch, threads, json);
    machine_use start = machine_use_now();
    hep_peak peak_before = hep_measure_peak(threads, 2.0, target);

    bench_setup b;
    bench_times t;
    bench_figures f = { 0 };
    if (setup(&b, info, batch, threads) != 0 || times_alloc(&t, info->num_layers, batch, steps, rounds) != 0) return 1;
    time_rounds(&b, info, &t);
    if (onednn_medians(&t, &f) != 0) return 1;
    round_ratios(&t, &f);
    hep_peak peak_after = hep_measure_peak(threads, 2.0, target);
    f.best = peak_after.peak > peak_before.peak ? peak_after : peak_before;
    f.peak_start = peak_before.peak, f.peak_end = peak_after.peak;
    f.others = others_pct(&start, &f.wall);
    const int total = steps * rounds;
    f.train = median(t.t_train, total), f.inf = median(t.t_infer, total);
    f.train_gf = info->flops_train * batch / f.train / 1e9, f.inf_gf = info->flops_forward * batch / f.inf / 1e9;

    print_summary(info, &t, &f);
    print_layers(info, &t, &f);
    int rc = json && write_json(json, info, &t, &f) != 0;
    teardown(&b);
    times_free(&t);
    free(f.dnnl_ms);
    return rc;
}
