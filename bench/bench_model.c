/* Times a generated network's whole training step (forward, backward, Adam:
 * what the training loop does) and forward-only inference, per layer and
 * pass, against the machine's GEMM peak and (when built with oneDNN) oneDNN's
 * convolutions on the same shapes, all measured in the same run.
 * Usage: bench_model BATCH STEPS [JSON_OUT] [ROUNDS]
 * ROUNDS (default 3) rounds of STEPS steps each for hepcnn and for oneDNN,
 * alternating. Prints a table; with JSON_OUT ("" for none) also appends one
 * JSON object per run.
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
    hep_adam_init(&b->adam, info->num_params, 1e-4, 0.0);
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

int main(int argc, char **argv)
{
    int batch = argc > 1 ? atoi(argv[1]) : 16, steps = argc > 2 ? atoi(argv[2]) : 10;
    const char *json = argc > 3 && argv[3][0] ? argv[3] : NULL;
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (batch < 1 || steps < 0 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "usage: bench_model BATCH STEPS [JSON_OUT] [ROUNDS]: BATCH >= 1, STEPS >= 0, ROUNDS 1..64\n");
        return 2;
    }
    const hep_model_info *info = hep_model_info_get();
    int threads = omp_get_max_threads();
    const char *target = getenv("LIBXSMM_TARGET") ? NULL : info->libxsmm_target;
    if (steps == 0) return memory_only(info, batch, threads, json);
    double busy0 = 0, total0 = 0, busy1 = 0, total1 = 0, cpu0 = own_cpu_seconds(), wall0 = omp_get_wtime();
    machine_jiffies(&busy0, &total0);
    hep_peak peak_before = hep_measure_peak(threads, 2.0, target);

    bench_setup b;
    if (setup(&b, info, batch, threads) != 0) return 1;
    hep_model *m = b.m;
    float *x = b.x;
    int *labels = b.labels;

    /* Rounds of (hepcnn training steps, hepcnn inference steps, oneDNN's
     * convolutions), one after the other: a neighbour that slows the machine
     * for a few seconds then hits both sides of some round, not one side of
     * the whole comparison. The ratios are the median over the rounds. */
    const int total = steps * rounds;
    double *t_train = malloc(sizeof(double) * total), *t_infer = malloc(sizeof(double) * total);
    double *round_train = malloc(sizeof(double) * rounds), *round_fwd = malloc(sizeof(double) * rounds);
    double (*dnnl_round)[3] = calloc((size_t)info->num_layers * rounds, sizeof *dnnl_round);
    char (*dnnl_alg)[3] = calloc((size_t)info->num_layers * rounds, sizeof *dnnl_alg);   /* per round; printed: round 0's */
    double (*direct_round)[3] = calloc((size_t)info->num_layers * rounds, sizeof *direct_round);   /* oneDNN direct */
    hep_layer_time *lt = calloc((size_t)info->num_layers, sizeof *lt);
    hep_layer_time *lti = calloc((size_t)info->num_layers, sizeof *lti);
    hep_layer_time *acc = calloc((size_t)info->num_layers, sizeof *acc);
    hep_pass pass = { .training = 1, .keep_prob = 0.5f, .seed = 1 };
    hep_pass infer = { .training = 0, .keep_prob = 1.0f, .seed = 1 };
    double adam_s = 0;
    double hepcnn_rss_mib = 0;   /* taken before oneDNN first runs: its buffers then count too */
#ifdef HEP_HAVE_DNNL
    int have_dnnl = 1;   /* until a round fails: a ratio needs oneDNN's times from every round */
    const char *onednn_isa = hep_onednn_isa();
#else
    int have_dnnl = 0;
    const char *onednn_isa = "";
#endif
    for (int r = 0; r < rounds; r++) {
        for (int s = r ? 0 : -2; s < steps; s++) {          /* two warm-up steps */
            if (s == 0) hep_model_reset_layer_times(m);
            pass.step = (uint64_t)(r * steps + s + 2);
            double t0 = omp_get_wtime();
            hep_model_forward(m, x, batch, &pass, NULL);
            hep_model_backward(m, labels, NULL, batch, &pass);
            double t_opt = omp_get_wtime();
            hep_adam_update(&b.adam, info, hep_model_params(m), hep_model_grads(m));
            if (s >= 0) {
                double t1 = omp_get_wtime();
                t_train[r * steps + s] = t1 - t0;
                adam_s += t1 - t_opt;
            }
        }
        hep_model_layer_times(m, acc);
        for (int l = 0; l < info->num_layers; l++) {
            lt[l].forward += acc[l].forward;
            lt[l].backward_data += acc[l].backward_data;
            lt[l].backward_weights += acc[l].backward_weights;
        }
        for (int s = r ? 0 : -1; s < steps; s++) {
            if (s == 0) hep_model_reset_layer_times(m);
            double t0 = omp_get_wtime();
            hep_model_forward(m, x, batch, &infer, NULL);
            if (s >= 0) t_infer[r * steps + s] = omp_get_wtime() - t0;
        }
        hep_model_layer_times(m, acc);
        for (int l = 0; l < info->num_layers; l++) lti[l].forward += acc[l].forward;
        if (r == 0) hepcnn_rss_mib = max_rss_mib();
#ifdef HEP_HAVE_DNNL
        if (have_dnnl)
            have_dnnl = hep_onednn_conv_times(info, batch, steps, dnnl_round + (size_t)r * info->num_layers,
                                              dnnl_alg + (size_t)r * info->num_layers,
                                              direct_round + (size_t)r * info->num_layers) == 0;
#endif
        round_train[r] = median(t_train + r * steps, steps);
        round_fwd[r] = median(t_infer + r * steps, steps);
    }
    /* per layer: sums over all rounds; oneDNN's: the median of its rounds */
    double (*dnnl_ms)[3] = calloc((size_t)info->num_layers, sizeof *dnnl_ms);
    double *col = malloc(sizeof(double) * rounds);
    for (int l = 0; l < info->num_layers; l++)
        for (int p = 0; p < 3; p++) {
            for (int r = 0; r < rounds; r++) col[r] = dnnl_round[(size_t)r * info->num_layers + l][p];
            dnnl_ms[l][p] = median(col, rounds);
        }
    double ratio_train[64], ratio_fwd[64], direct_train[64], direct_fwd[64];   /* rounds <= 64 */
    for (int r = 0; r < rounds; r++) {
        double dt = 0, df = 0, xt = 0, xf = 0;
        for (int l = 0; l < info->num_layers; l++) {
            const double *d = dnnl_round[(size_t)r * info->num_layers + l];
            const double *x = direct_round[(size_t)r * info->num_layers + l];
            dt += d[0] + d[1] + d[2];
            df += d[0];
            xt += x[0] + x[1] + x[2];
            xf += x[0];
        }
        ratio_train[r] = dt / 1e3 / round_train[r];
        ratio_fwd[r] = df / 1e3 / round_fwd[r];
        direct_train[r] = xt / 1e3 / round_train[r];
        direct_fwd[r] = xf / 1e3 / round_fwd[r];
    }
    hep_peak peak_after = hep_measure_peak(threads, 2.0, target);
    const hep_peak *best = peak_after.peak > peak_before.peak ? &peak_after : &peak_before;
    double peak = best->peak, peak_start = peak_before.peak, peak_end = peak_after.peak;
    machine_jiffies(&busy1, &total1);
    double others = -1;
    long hz = sysconf(_SC_CLK_TCK);
    if (total1 > total0 && hz > 0) {
        double own_jiffies = (own_cpu_seconds() - cpu0) * hz;
        others = 100.0 * ((busy1 - busy0) - own_jiffies) / (total1 - total0);
        if (others < 0) others = 0;
    }
    double wall = omp_get_wtime() - wall0;
    double train = median(t_train, total), inf = median(t_infer, total);
    double train_gf = info->flops_train * batch / train / 1e9, inf_gf = info->flops_forward * batch / inf / 1e9;

    printf("%s (%s), batch %d, %d threads, %d rounds of %d steps (medians)\n", info->network, info->arch, batch,
           threads, rounds, steps);
    printf("  machine peak (now)         %8.1f GFLOP/s  (larger of %.1f before and %.1f after)\n", peak, peak_start, peak_end);
    printf("    = max of: FMA loop %d-wide %.1f, best libxsmm GEMM %.1f (m=%d n=%d k=%d)\n", best->vector_floats,
           best->fma, best->gemm, best->m, best->n, best->k);
    printf("  training step              %8.2f img/s  %7.1f GFLOP/s  %5.1f%% of peak  (%.1f ms/step)\n",
           batch / train, train_gf, 100 * train_gf / peak, 1e3 * train);
    printf("  forward only (inference)   %8.2f img/s  %7.1f GFLOP/s  %5.1f%% of peak\n", batch / inf, inf_gf, 100 * inf_gf / peak);
    printf("  peak resident memory       %8.1f MiB  (hepcnn's, before oneDNN ran in this process)\n", hepcnn_rss_mib);
    double dnnl_train = 0, dnnl_fwd = 0;
    for (int l = 0; l < info->num_layers; l++) {
        dnnl_train += dnnl_ms[l][0] + dnnl_ms[l][1] + dnnl_ms[l][2];
        dnnl_fwd += dnnl_ms[l][0];
    }
    if (have_dnnl) {
        printf("  oneDNN's best convolutions %8.2f img/s training (fwd + bwd-data + bwd-weights), %.2f img/s forward"
               " (its %s code)\n", batch / (dnnl_train / 1e3), batch / (dnnl_fwd / 1e3), onednn_isa);
        printf("  hepcnn / oneDNN's best     %8.2fx training (whole step vs convolutions alone), %.2fx forward\n",
               median(ratio_train, rounds), median(ratio_fwd, rounds));
        printf("  (median over the rounds; training per round:");
        for (int r = 0; r < rounds; r++) printf(" %.2f", ratio_train[r]);
        printf(", forward:");
        for (int r = 0; r < rounds; r++) printf(" %.2f", ratio_fwd[r]);
        printf(")\n");
        printf("  hepcnn / oneDNN direct     %8.2fx training, %.2fx forward (its direct algorithm only; per round:",
               median(direct_train, rounds), median(direct_fwd, rounds));
        for (int r = 0; r < rounds; r++) printf(" %.2f", direct_train[r]);
        printf(")\n");
    } else {
        printf("  oneDNN                     not built in (install libdnnl-dev and rebuild)\n");
    }
    /* Contention from outside this machine (a virtual machine's neighbours)
     * does not show in /proc/stat; it shows as a peak that moved. */
    int peak_moved = fabs(peak_start - peak_end) > 0.1 * peak;
    if (others >= 0)
        printf("  other processes' CPU use   %8.1f%% of the machine during this run (%.0f s); peak %s: %s\n", others,
               wall, peak_moved ? "moved by more than 10%" : "steady",
               others < 5 && !peak_moved ? "quiet" : "NOISY, figures may be low or inconsistent");
    printf("  per layer and pass: hepcnn ms, %% of peak%s\n", have_dnnl ? ", oneDNN ms and hepcnn speed relative to it" : "");
    printf("  (GFLOP/s and %% of peak count a 3x3 convolution's direct FLOPs: for Winograd passes they are effective\n"
           "  figures, above 100%% when fewer multiplications are done)\n");
    printf("  %-14s %10s %6s %10s %6s %10s %6s %10s %6s\n", "layer", "fwd ms", "%pk", "bwd-d ms", "%pk", "bwd-w ms", "%pk",
           "infer ms", "%pk");
    for (int l = 0; l < info->num_layers; l++) {
        const hep_layer_info *li = &info->layers[l];
        double ms[4] = { 1e3 * lt[l].forward / total, 1e3 * lt[l].backward_data / total,
                         1e3 * lt[l].backward_weights / total, 1e3 * lti[l].forward / total };
        double gflop = li->flops * batch / 1e9;   /* per pass */
        /* the first conv computes no backward-data: its column shows only the epilogue */
        int counts[4] = { gflop > 0, gflop > 0 && l > 0, gflop > 0, gflop > 0 };
        char pct[4][16];
        for (int p = 0; p < 4; p++) {
            if (counts[p] && ms[p] > 0) snprintf(pct[p], sizeof pct[p], "%6.1f", 100 * gflop / (ms[p] / 1e3) / peak);
            else snprintf(pct[p], sizeof pct[p], "%6s", "-");
        }
        char algo[64] = "";
        if (li->winograd_passes)
            snprintf(algo, sizeof algo, "   (Winograd F(%dx%d,3x3):%s%s%s)", li->winograd_tile, li->winograd_tile,
                     li->winograd_passes & 1 ? " fwd" : "", li->winograd_passes & 2 ? " bwd-d" : "",
                     li->winograd_passes & 4 ? " bwd-w" : "");
        printf("  %-14s %10.2f %s %10.2f %s %10.2f %s %10.2f %s%s\n", li->name, ms[0], pct[0], ms[1], pct[1], ms[2],
               pct[2], ms[3], pct[3], algo);
        if (have_dnnl && li->kind == HEP_LAYER_CONV)
            printf("  %-14s %10.2f %5.2fx %10.2f %5.2fx %10.2f %5.2fx   (oneDNN's algorithm: %s, %s, %s)\n",
                   "  oneDNN", dnnl_ms[l][0], dnnl_ms[l][0] / ms[0], dnnl_ms[l][1], l > 0 ? dnnl_ms[l][1] / ms[1] : 0.0,
                   dnnl_ms[l][2], dnnl_ms[l][2] / ms[2], alg_name(dnnl_alg[l][0]), l > 0 ? alg_name(dnnl_alg[l][1]) : "-",
                   alg_name(dnnl_alg[l][2]));
    }
    /* What the layer timers do not cover: the optimiser, and the sums of the
     * threads' private weight gradients, loss and glue. */
    double layers_ms = 0;
    for (int l = 0; l < info->num_layers; l++)
        layers_ms += 1e3 * (lt[l].forward + lt[l].backward_data + lt[l].backward_weights) / total;
    printf("  %-14s %10.2f ms/step (parameters and both Adam moments, once each)\n", "Adam", 1e3 * adam_s / total);
    /* the layer timers are sums over the steps, so the mean step here */
    double train_mean = 0;
    for (int s = 0; s < total; s++) train_mean += t_train[s] / total;
    printf("  %-14s %10.2f ms/step (the mean step less the layers and Adam: gradient sums, loss, glue)\n", "rest",
           1e3 * train_mean - layers_ms - 1e3 * adam_s / total);
    if (json) {
        FILE *f = fopen(json, "a");
        if (!f) { perror(json); return 1; }
        fprintf(f, "{\"network\": \"%s\", \"arch\": \"%s\", \"batch\": %d, \"threads\": %d, \"steps\": %d, "
                   "\"peak_gflops\": %.1f, \"train_img_s\": %.3f, \"train_gflops\": %.1f, \"train_pct_peak\": %.1f, "
                   "\"infer_img_s\": %.3f, \"infer_gflops\": %.1f, \"max_rss_mib\": %.1f, \"other_cpu_pct\": %.1f, "
                   "\"onednn_train_img_s\": %.3f, \"onednn_fwd_img_s\": %.3f, \"rounds\": %d, "
                   "\"ratio_train\": %.3f, \"ratio_fwd\": %.3f, \"onednn_isa\": \"%s\", \"layers\": [",
                info->network, info->arch, batch, threads, steps, peak, batch / train, train_gf, 100 * train_gf / peak,
                batch / inf, inf_gf, hepcnn_rss_mib, others,
                have_dnnl ? batch / (dnnl_train / 1e3) : 0.0, have_dnnl ? batch / (dnnl_fwd / 1e3) : 0.0, rounds,
                have_dnnl ? median(ratio_train, rounds) : 0.0, have_dnnl ? median(ratio_fwd, rounds) : 0.0,
                have_dnnl ? onednn_isa : "");
        for (int l = 0; l < info->num_layers; l++)
            fprintf(f, "%s{\"name\": \"%s\", \"fwd_ms\": %.3f, \"bwd_data_ms\": %.3f, \"bwd_weights_ms\": %.3f, "
                       "\"infer_ms\": %.3f, \"gflop\": %.4f, \"onednn_ms\": [%.3f, %.3f, %.3f]}",
                    l ? ", " : "", info->layers[l].name, 1e3 * lt[l].forward / total, 1e3 * lt[l].backward_data / total,
                    1e3 * lt[l].backward_weights / total, 1e3 * lti[l].forward / total, info->layers[l].flops * batch / 1e9,
                    dnnl_ms[l][0], dnnl_ms[l][1], dnnl_ms[l][2]);
        fprintf(f, "]}\n");
        fclose(f);
    }
    teardown(&b);
    free(t_train); free(t_infer); free(lt); free(lti); free(acc); free(dnnl_ms); free(dnnl_round); free(dnnl_alg); free(direct_round); free(col);
    free(round_train); free(round_fwd);
    return 0;
}
