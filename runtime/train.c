/* Training loop (see train.h). */
#define _DEFAULT_SOURCE   /* usleep */
#include "train.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <unistd.h>
#include <hdf5.h>

#include "checkpoint.h"
#include "data.h"
#include "dist.h"
#include "h5files.h"
#include "init.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "norm.h"
#include "optim.h"
#include "plots.h"
#include "ps.h"
#include "timeline.h"
#include "util.h"

static double unix_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + 1e-6 * tv.tv_usec;
}

/* Every file of one kind in inputpath, checked; exits with the file's error. */
static int load_files(const char *inputpath, const char *kind, const hep_model_info *info, hep_h5file **out)
{
    char err[1024], **paths;
    int n = hep_h5_list(inputpath, kind, &paths, err, sizeof err);
    if (n < 0) hep_fatal("%s", err);
    hep_h5file *files = hep_xmalloc(sizeof(hep_h5file) * (size_t)(n > 0 ? n : 1), "the file table");
    for (int i = 0; i < n; i++) {
        if (hep_h5file_load(&files[i], paths[i], info, err, sizeof err) != 0) hep_fatal("%s", err);
        free(paths[i]);
    }
    free(paths);
    *out = files;
    return n;
}

typedef struct {
    hep_h5file *files;
    int nfiles;
    const float *channel_max;
    int batch, max_steps;
} eval_set;

/* Evaluate up to max_steps batches (all when <= 0) of the set; all ranks. */
static void evaluate(hep_model *m, int model_batch, const eval_set *set, const hep_run *run,
                     const hep_model_info *info, hep_metrics *out, float **records)
{
    hep_loader_options opt = { .rank = run->rank, .size = run->size, .batch = set->batch, .shuffle = 0,
                               .steps_per_epoch = -1, .first_epoch = 0, .epochs = 1,
                               .channel_max = set->channel_max };
    hep_loader *l = hep_loader_start(set->files, set->nfiles, info, &opt);
    long cap = hep_loader_local_rows(set->files, set->nfiles, run->rank, run->size);
    const int K = info->num_classes;
    float *probs = hep_xmalloc(sizeof(float) * (size_t)(cap > 0 ? cap : 1) * K, "evaluation scores");
    int *label = hep_xmalloc(sizeof(int) * (size_t)(cap > 0 ? cap : 1), "evaluation labels");
    float *weight = hep_xmalloc(sizeof(float) * (size_t)(cap > 0 ? cap : 1), "evaluation weights");
    float *normweight = hep_xmalloc(sizeof(float) * (size_t)(cap > 0 ? cap : 1), "evaluation weights");
    long n = 0;
    int steps = 0;
    hep_pass pass = { .training = 0, .keep_prob = 1.0f };
    const hep_batch *b;
    while ((b = hep_loader_next(l)) != NULL && (set->max_steps <= 0 || steps < set->max_steps)) {
        for (int i0 = 0; i0 < b->n; i0 += model_batch) {
            int chunk = b->n - i0 < model_batch ? b->n - i0 : model_batch;
            hep_model_forward(m, b->x + (size_t)i0 * info->in_channels * info->in_height * info->in_width, chunk,
                              &pass, probs + (size_t)(n + i0) * K);
        }
        memcpy(label + n, b->label, sizeof(int) * b->n);
        memcpy(weight + n, b->weight, sizeof(float) * b->n);
        memcpy(normweight + n, b->normweight, sizeof(float) * b->n);
        n += b->n;
        steps++;
    }
    hep_loader_stop(l);
    hep_metrics_compute(run->comm, probs, label, weight, normweight, n, K, out, records);
    free(probs); free(label); free(weight); free(normweight);
}

static void print_evaluation(hep_log *log, const char *set, const char *what, long step, long last,
                             const hep_metrics *e)
{
    double t = unix_time();
    hep_log_line(log, "%.3f EVALUATION %s: step %ld (%ld), average loss %g\n", t, what, step, last, e->loss);
    hep_log_line(log, "%.3f EVALUATION %s: step %ld (%ld), average accu %g\n", t, what, step, last, e->accuracy);
    hep_log_line(log, "%.3f EVALUATION %s: step %ld (%ld), average auc %g\n", t, what, step, last, e->auc);
    if (e->classes > 2)
        for (int k = 0; k < e->classes && k < 16; k++)
            hep_log_line(log, "%.3f EVALUATION %s: step %ld (%ld), auc class %d vs rest %g\n", t, what, step, last, k,
                         e->auc_class[k]);
    hep_log_record(log, "\"time\": %.3f, \"step\": %ld, \"eval\": \"%s\", \"samples\": %ld, \"loss\": %.9g, "
                   "\"accuracy\": %.9g, \"auc\": %.9g", t, step, set, e->n, e->loss, e->accuracy, e->auc);
}

/* Loss curves for plots/loss.svg (rank 0). */
typedef struct { int n, cap; double *step, *loss; } curve;

static void curve_add(curve *c, double step, double loss)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        double *s = realloc(c->step, sizeof(double) * c->cap), *l = realloc(c->loss, sizeof(double) * c->cap);
        if (!s || !l) hep_fatal("out of memory recording the loss curve");
        c->step = s; c->loss = l;
    }
    c->step[c->n] = step;
    c->loss[c->n] = loss;
    c->n++;
}

static void write_plots(const char *outputpath, const curve *train, const curve *val, const float *records, long n,
                        int K, double auc)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/plots", outputpath);
    if (hep_mkdirs(dir) != 0) hep_fatal("cannot create %s", dir);
    hep_series s[2] = { { "training loss", "#1f77b4", train->n, train->step, train->loss },
                        { "validation loss", "#ff7f0e", val->n, val->step, val->loss } };
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    if (hep_plot_lines(path, "Loss", "step", "average loss", s, val->n ? 2 : 1, 0) != 0)
        hep_fatal("cannot write %s", path);
    if (records && n > 0) {
        snprintf(path, sizeof path, "%s/roc.svg", dir);
        if (hep_plot_roc(path, records, n, K, K > 2 ? K - 1 : 1, auc) != 0) hep_fatal("cannot write %s", path);
    }
}

/* Loads checkpoint `id` into path; exits on failure, pointing at the
 * previous checkpoint when the newest was picked automatically. The damaged
 * file is left as it is: the user decides what to do with it. */
static void load_checkpoint(const hep_config *cfg, long id, hep_model *m, const hep_model_info *info,
                            hep_adam *adam, hep_checkpoint_state *state, char *path, size_t pathlen)
{
    char err[1024];
    hep_checkpoint_path(cfg->outputpath, id, path, pathlen);
    if (hep_checkpoint_load(path, m, info, adam, state, err, sizeof err) == 0) return;
    long previous = cfg->checkpoint_id < 0 ? hep_checkpoint_before(cfg->outputpath, id) : -1;
    if (previous >= 0)
        hep_fatal("%s; the previous checkpoint is step %ld: use it with --checkpoint_id=%ld, "
                  "or move the damaged file out of %s/models", err, previous, previous, cfg->outputpath);
    hep_fatal("%s", err);
}

/* Resume from a checkpoint when asked (restart, --checkpoint_id) or when
 * outputpath/models has one. Returns the step to continue from (0: fresh). */
static long resume(const hep_config *cfg, hep_model *m, const hep_model_info *info, hep_adam *adam,
                   hep_checkpoint_state *state, int rank)
{
    long id = cfg->checkpoint_id >= 0 ? cfg->checkpoint_id : hep_checkpoint_latest(cfg->outputpath);
    if (id < 0) {
        if (cfg->restart && rank == 0)
            printf("hepcnn: restart requested, but %s/models has no checkpoint: starting from scratch\n", cfg->outputpath);
        return 0;
    }
    char path[4400];
    load_checkpoint(cfg, id, m, info, adam, state, path, sizeof path);
    if (rank == 0) printf("hepcnn: resuming from %s (step %ld, epoch %d)\n", path, state->step, state->epoch);
    return state->step;
}

int hep_train(const hep_config *cfg, const char *config_path, const hep_run *run)
{
    const hep_model_info *info = hep_model_info_get();
    char err[512];
    const int workers = run->num_workers;

    /* Data first: a bad file should fail before minutes of set-up. */
    hep_h5file *train_files = NULL, *val_files = NULL;
    int ntrain = 0, nval = 0;
    float channel_max[16];
    for (int c = 0; c < 16; c++) channel_max[c] = 1.0f;
    long steps_per_epoch;
    if (cfg->dummy_data) {
        steps_per_epoch = (long)((double)cfg->trainsamples / ((double)run->batch * workers));
        if (steps_per_epoch < 1)
            hep_fatal("%s: trainsamples (%ld) is less than one global batch (%d x %d workers)", config_path,
                      cfg->trainsamples, run->batch, workers);
    } else {
        ntrain = load_files(cfg->inputpath, "train", info, &train_files);
        if (ntrain == 0)
            hep_fatal("inputpath '%s' (from %s) has no training files (names containing 'train', ending in .h5 or .hdf5)",
                      cfg->inputpath, config_path);
        nval = load_files(cfg->inputpath, "val", info, &val_files);
        long local = hep_loader_local_rows(train_files, ntrain, run->rank, run->size), fewest = local;
        if (MPI_Allreduce(&local, &fewest, 1, MPI_LONG, MPI_MIN, run->comm) != MPI_SUCCESS)
            hep_fatal("MPI_Allreduce of the sample counts failed");
        /* Every rank runs the same number of steps (a collective would hang
         * otherwise): the fewest rows any rank has, in whole batches. */
        steps_per_epoch = fewest / run->batch;
        if (steps_per_epoch < 1)
            hep_fatal("inputpath '%s': the training files give a rank only %ld samples, fewer than one batch of %d",
                      cfg->inputpath, fewest, run->batch);
        if (hep_config_given(cfg, "trainsamples")) {
            long cap = (long)((double)cfg->trainsamples / ((double)run->batch * workers));
            if (cap >= 1 && cap < steps_per_epoch) steps_per_epoch = cap;
        }
    }
    const long steps = steps_per_epoch * cfg->num_epochs;
    hep_log log;
    hep_log_open(&log, cfg->outputpath, run->rank);
    if (run->rank == 0) {
        printf("hepcnn: %s (%s, %s), %d rank(s) x %d thread(s), batch %d per rank, %ld steps "
               "(%ld per epoch), %.2f GFLOP per image per step\n", info->network, info->network_file, info->arch,
               run->size, run->threads, run->batch, steps, steps_per_epoch, info->flops_train / 1e9);
        if (!cfg->dummy_data) printf("hepcnn: %d training and %d validation file(s) in %s\n", ntrain, nval, cfg->inputpath);
        fflush(stdout);
    }

    hep_model *m = hep_model_create(run->batch, run->threads, err, sizeof err);
    if (!m) hep_fatal("%s", err);
    hep_init_params(m, info, (uint64_t)cfg->seed);
    float *params = hep_model_params(m), *grads = hep_model_grads(m);
    /* Same seed gives the same weights everywhere; the broadcast makes it a
     * guarantee rather than a coincidence. */
    if (run->size > 1 && MPI_Bcast(params, (int)info->num_params, MPI_FLOAT, 0, run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Bcast of the initial parameters failed");
    hep_adam adam;
    hep_adam_init(&adam, info->num_params, cfg->learning_rate, cfg->weight_decay);
    hep_checkpoint_state ckpt = { .seed = (unsigned long long)cfg->seed, .channels = info->in_channels };
    const long first_step = resume(cfg, m, info, &adam, &ckpt, run->rank);
    if (first_step % steps_per_epoch != 0)
        hep_fatal("the checkpoint is at step %ld, not at an epoch boundary of this run (%ld steps per epoch): "
                  "the data, batch size or trainsamples changed", first_step, steps_per_epoch);
    if (first_step > 0) {
        memcpy(channel_max, ckpt.channel_max, sizeof(float) * info->in_channels);
    } else if (!cfg->dummy_data) {
        hep_normalization(run->comm, cfg->outputpath, train_files, ntrain, info, run->rank, run->size, channel_max);
    }
    memcpy(ckpt.channel_max, channel_max, sizeof ckpt.channel_max);
    char *config_json = hep_config_to_json(cfg);

    hep_dummy dummy = { 0 };
    hep_loader *loader = NULL;
    if (cfg->dummy_data) {
        hep_dummy_init(&dummy, info, run->batch, workers, run->rank, (uint64_t)cfg->seed);
    } else {
        hep_loader_options opt = { .rank = run->rank, .size = run->size, .batch = run->batch, .shuffle = 1,
                                   .steps_per_epoch = steps_per_epoch, .first_epoch = (int)(first_step / steps_per_epoch),
                                   .epochs = cfg->num_epochs,
                                   .seed = (uint64_t)cfg->seed, .channel_max = channel_max };
        loader = hep_loader_start(train_files, ntrain, info, &opt);
    }
    eval_set val = { val_files, nval, channel_max, cfg->validation_batch_size, cfg->validation_max_steps };
    hep_allreduce allreduce;
    if (run->size > 1 && run->num_ps == 0)
        hep_allreduce_init(&allreduce, m, run->comm, workers, info->num_params, cfg->overlap_allreduce);

    double loss_sum = 0.0, t_report = hep_wall_seconds();
    int in_report = 0;
    /* a progress line between report lines, only on a terminal */
    const int progress = run->rank == 0 && isatty(STDOUT_FILENO);
    hep_timeline tl = { 0 };
    const long tl_first = first_step + 2, tl_last = first_step + 5;   /* after warm-up */
    hep_layer_time *lt = hep_xmalloc(sizeof(hep_layer_time) * info->num_layers, "layer times");
    if (cfg->timeline[0] && run->rank == 0 && hep_timeline_open(&tl, cfg->timeline) != 0)
        hep_fatal("cannot write the timeline %s", cfg->timeline);
    curve train_curve = { 0 }, val_curve = { 0 };
    /* Parameter servers: the servers hold the weights and Adam; worker 0
     * hands them the starting point. */
    hep_ps_layout layout = { .workers = workers, .servers = run->num_ps, .params = info->num_params,
                             .total_steps = steps, .steps_per_epoch = steps_per_epoch,
                             .save_interval = cfg->save_interval };
    float *snapshot = NULL;
    if (run->num_ps > 0 && run->rank == 0) {
        hep_ps_send_initial(&layout, params, &adam, first_step);
        snapshot = hep_xmalloc(sizeof(float) * 3 * info->num_params, "checkpoint snapshots");
    }
    /* Test hook for hot spares: HEPCNN_TEST_SLOW_WORKER=RANK:MS makes that
     * worker sleep MS milliseconds before each gradient exchange. */
    int slow_ms = 0;
    const char *slow = getenv("HEPCNN_TEST_SLOW_WORKER");
    if (slow && atoi(slow) == run->rank && strchr(slow, ':')) slow_ms = atoi(strchr(slow, ':') + 1);
    /* a multiple of `every` in (from, to]: steps may jump in parameter-server mode */
    #define CROSSED(every, from, to) ((every) > 0 && (from) / (every) != (to) / (every))
    long step = first_step;
    while (step < steps) {
        const float *x, *w;
        const int *labels;
        const int tracing = tl.f && step >= tl_first && step < tl_last;
        double t_data = hep_wall_seconds();
        if (loader) {
            const hep_batch *b = hep_loader_next(loader);
            if (!b) hep_fatal("internal: the data loader ended at step %ld of %ld", step + 1, steps);
            x = b->x; labels = b->label; w = b->normweight;
        } else {
            hep_dummy_batch(&dummy, step, &x, &labels, &w);   /* the same global batches for any rank count */
        }
        hep_pass pass = { .training = 1, .keep_prob = (float)cfg->dropout_p, .seed = (uint64_t)cfg->seed,
                          .step = (uint64_t)step,
                          .first_sample = ((uint64_t)step * workers + (uint64_t)run->rank) * run->batch };
        double t_fwd = hep_wall_seconds();
        if (tracing) {
            hep_timeline_event(&tl, "data wait", "data", t_data, t_fwd - t_data);
            hep_model_reset_layer_times(m);
        }
        hep_model_forward(m, x, run->batch, &pass, NULL);
        double t_bwd = hep_wall_seconds();
        double loss = hep_model_backward(m, labels, w, run->batch, &pass);
        double t_comm = hep_wall_seconds();
        if (tracing) {
            hep_model_layer_times(m, lt);
            double at = t_fwd;
            for (int l = 0; l < info->num_layers; l++) {
                hep_timeline_event(&tl, info->layers[l].name, "forward", at, lt[l].forward);
                at += lt[l].forward;
            }
            at = t_bwd;
            for (int l = info->num_layers - 1; l >= 0; l--) {
                double d = lt[l].backward_data + lt[l].backward_weights;
                hep_timeline_event(&tl, info->layers[l].name, "backward", at, d);
                at += d;
            }
        }
        long done = step + 1;
        if (run->num_ps > 0) {
            if (!isfinite(loss))   /* never send a broken gradient to the servers */
                hep_fatal("the training loss became %s at step %ld on worker %d (learning_rate %g): stopping",
                          isnan(loss) ? "NaN" : "infinite", step + 1, run->rank, cfg->learning_rate);
            if (slow_ms > 0) usleep((useconds_t)slow_ms * 1000);
            done = hep_ps_exchange(&layout, params, grads, &loss, step);
        } else if (run->size > 1) {
            hep_allreduce_finish(&allreduce, &loss, step + 1);
        }
        if (!isfinite(loss))
            hep_fatal("the training loss became %s at step %ld (learning_rate %g): stopping; "
                      "try a smaller learning_rate", isnan(loss) ? "NaN" : "infinite", step + 1, cfg->learning_rate);
        double t_opt = hep_wall_seconds();
        if (tracing && run->size > 1)
            hep_timeline_event(&tl, run->num_ps ? "parameter servers" : "allreduce", "communication", t_comm, t_opt - t_comm);
        if (run->num_ps == 0) hep_adam_update(&adam, info, params, grads);
        if (tracing && run->num_ps == 0)   /* with servers, Adam runs there */
            hep_timeline_event(&tl, "Adam", "optimiser", t_opt, hep_wall_seconds() - t_opt);
        if (tl.f && step + 1 == tl_last) {
            hep_timeline_close(&tl);
            printf("hepcnn: timeline of steps %ld-%ld -> %s\n", tl_first + 1, tl_last, cfg->timeline);
        }
        loss_sum += loss;
        in_report++;
        if (progress) {
            double per = (hep_wall_seconds() - t_report) / in_report;
            int width = 30, bar = (int)(width * (done - first_step) / (steps - first_step));
            printf("\r  step %ld/%ld [%.*s%*s] %.1f img/s, ETA %.0f s \033[K", done, steps, bar,
                   "##############################", width - bar, "", run->batch * workers / per,
                   per * (steps - done));
            fflush(stdout);
        }
        if (CROSSED(cfg->display_interval, step, done) || done == steps) {
            double now = hep_wall_seconds();
            double t = unix_time(), per = (now - t_report) / in_report;
            if (progress) printf("\r\033[K");
            hep_log_line(&log, "%.3f TRAINING REPORT: step %ld (%ld), average loss %g (%.3f sec/batch)\n", t,
                         done, steps, loss_sum / in_report, per);
            hep_log_record(&log, "\"time\": %.3f, \"step\": %ld, \"loss\": %.9g, \"images_per_s\": %.3f", t,
                           done, loss_sum / in_report, run->batch * workers / per);
            curve_add(&train_curve, (double)done, loss_sum / in_report);
            loss_sum = 0.0;
            in_report = 0;
            t_report = now;
        }
        int epoch_end = CROSSED(steps_per_epoch, step, done);
        int interval = CROSSED(cfg->validation_interval, step, done);
        if (nval > 0 && (epoch_end || interval)) {
            hep_metrics e;
            float *records = NULL;
            evaluate(m, run->batch, &val, run, info, &e, &records);
            print_evaluation(&log, "val", epoch_end ? "EPOCH SUMMARY" : "REPORT", done, steps, &e);
            if (run->rank == 0) {
                curve_add(&val_curve, (double)done, e.loss);
                write_plots(cfg->outputpath, &train_curve, &val_curve, records, e.n, info->num_classes, e.auc);
            }
            free(records);
            t_report = hep_wall_seconds();
        }
        for (long due = step + 1; due <= done && run->rank == 0; due++) {
            int epoch = (int)(due / steps_per_epoch);
            if (!(due % steps_per_epoch == 0 &&
                  ((cfg->save_interval > 0 && epoch % cfg->save_interval == 0) || due == steps)))
                continue;
            ckpt.step = due;
            ckpt.epoch = epoch;
            if (run->num_ps > 0) {   /* the servers' snapshot of that step */
                const size_t P = info->num_params;
                long adam_steps = hep_ps_receive_snapshot(&layout, snapshot, snapshot + P, snapshot + 2 * P);
                hep_checkpoint_save(cfg->outputpath, m, info, snapshot, snapshot + P, snapshot + 2 * P, adam_steps,
                                    &ckpt, config_json);
            } else {
                hep_checkpoint_save(cfg->outputpath, m, info, params, adam.m, adam.v, adam.step, &ckpt, config_json);
            }
            char path[4400];
            hep_checkpoint_path(cfg->outputpath, due, path, sizeof path);
            hep_log_line(&log, "%.3f CHECKPOINT: step %ld, epoch %d -> %s\n", unix_time(), due, epoch, path);
        }
        step = done;
    }
    #undef CROSSED
    free(snapshot);
    if (run->size > 1 && run->rank == 0 && run->num_ps == 0)
        printf("hepcnn: gradient allreduce (%s): %.2f s waited in all\n",
               cfg->overlap_allreduce ? "overlapped with backward" : "after backward", allreduce.wait_seconds);
    if (first_step >= steps && run->rank == 0)
        printf("hepcnn: the checkpoint is at step %ld: the run's %ld steps are already done\n", first_step, steps);
    if (loader && run->rank == 0) {
        double wait, bytes, read_s;
        hep_loader_stats(loader, &wait, &bytes, &read_s);
        printf("hepcnn: data: %.1f MB read at %.0f MB/s by the I/O thread; the training thread waited %.2f s in all\n",
               bytes / 1e6, read_s > 0 ? bytes / 1e6 / read_s : 0.0, wait);
    }
    if (run->rank == 0 && train_curve.n > 0 && nval == 0)
        write_plots(cfg->outputpath, &train_curve, &val_curve, NULL, 0, info->num_classes, 0);
    free(train_curve.step); free(train_curve.loss); free(val_curve.step); free(val_curve.loss);
    if (tl.f) {
        hep_timeline_close(&tl);
        printf("hepcnn: timeline (the run ended early) -> %s\n", cfg->timeline);
    }
    free(lt);
    hep_loader_stop(loader);
    hep_log_close(&log);
    free(config_json);
    if (cfg->dummy_data) hep_dummy_free(&dummy);
    for (int i = 0; i < ntrain; i++) hep_h5file_free(&train_files[i]);
    for (int i = 0; i < nval; i++) hep_h5file_free(&val_files[i]);
    free(train_files);
    free(val_files);
    hep_adam_free(&adam);
    hep_model_destroy(m);
    return 0;
}

/* --mode=test: the seed's inference script. Evaluates a checkpoint on the
 * test files and writes the per-sample scores. */
static void write_predictions(const char *outputpath, const float *records, long n, int K, int have_psr,
                              const float *psr)
{
    char path[4300], tmp[4400];
    snprintf(path, sizeof path, "%s/predictions-test.h5", outputpath);
    snprintf(tmp, sizeof tmp, "%s/.predictions-test.h5.tmp", outputpath);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) hep_fatal("cannot create %s", tmp);
    const int stride = K + 3;
    float *scores = hep_xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * K, "scores");
    int *label = hep_xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1), "labels");
    float *weight = hep_xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1), "weights");
    for (long i = 0; i < n; i++) {
        memcpy(scores + i * K, records + i * stride, sizeof(float) * K);
        label[i] = (int)records[i * stride + K];
        weight[i] = records[i * stride + K + 1];
    }
    hsize_t d2[2] = { (hsize_t)n, (hsize_t)K }, d1[1] = { (hsize_t)n };
    struct { const char *name; int rank; hsize_t *dims; hid_t ftype, mtype; const void *buf; } sets[] = {
        { "scores", 2, d2, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, scores },
        { "label", 1, d1, H5T_STD_I32LE, H5T_NATIVE_INT, label },
        { "weight", 1, d1, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, weight },
        { "psr", 1, d1, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, psr },
    };
    int bad = 0;
    for (int i = 0; i < (have_psr ? 4 : 3); i++) {
        hid_t space = H5Screate_simple(sets[i].rank, sets[i].dims, NULL);
        hid_t ds = H5Dcreate2(file, sets[i].name, sets[i].ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        bad |= ds < 0 || H5Dwrite(ds, sets[i].mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, sets[i].buf) < 0;
        if (ds >= 0) H5Dclose(ds);
        H5Sclose(space);
    }
    bad |= H5Fclose(file) < 0;
    if (bad) hep_fatal("writing %s failed", tmp);
    if (rename(tmp, path) != 0) hep_fatal("cannot rename %s to %s", tmp, path);
    printf("hepcnn: per-sample scores -> %s\n", path);
    free(scores); free(label); free(weight);
}

int hep_test(const hep_config *cfg, const char *config_path, const hep_run *run)
{
    const hep_model_info *info = hep_model_info_get();
    hep_h5file *files;
    int nfiles = load_files(cfg->inputpath, "test", info, &files);
    if (nfiles == 0)
        hep_fatal("inputpath '%s' (from %s) has no test files (names containing 'test', ending in .h5 or .hdf5)",
                  cfg->inputpath, config_path);
    char err[1024], path[4400];
    hep_model *m = hep_model_create(cfg->test_batch_size, run->threads, err, sizeof err);
    if (!m) hep_fatal("%s", err);
    long id = cfg->checkpoint_id >= 0 ? cfg->checkpoint_id : hep_checkpoint_latest(cfg->outputpath);
    if (id < 0) hep_fatal("--mode=test: %s/models has no checkpoint (train first, or give --checkpoint_id)", cfg->outputpath);
    hep_checkpoint_state state;
    load_checkpoint(cfg, id, m, info, NULL, &state, path, sizeof path);
    if (run->rank == 0) printf("hepcnn: testing %s (step %ld) on %d test file(s)\n", path, state.step, nfiles);
    eval_set set = { files, nfiles, state.channel_max, cfg->test_batch_size, cfg->test_max_steps };
    hep_metrics e;
    float *records = NULL;
    evaluate(m, cfg->test_batch_size, &set, run, info, &e, &records);
    hep_log log;
    hep_log_open(&log, cfg->outputpath, run->rank);
    print_evaluation(&log, "test", "SUMMARY", state.step, state.step, &e);
    hep_log_close(&log);
    if (run->rank == 0) {
        /* psr is not part of the gathered records: read it in file order
         * (evaluation reads files in order, rank 0 first) when one rank ran */
        int have_psr = run->size == 1 && files[0].psr != NULL;
        float *psr = NULL;
        if (have_psr) {
            psr = hep_xmalloc(sizeof(float) * (size_t)(e.n > 0 ? e.n : 1), "psr");
            long k = 0;
            for (int f = 0; f < nfiles && k < e.n; f++)
                for (long r = 0; r < files[f].rows && k < e.n; r++) psr[k++] = files[f].psr ? files[f].psr[r] : 0.0f;
        }
        write_predictions(cfg->outputpath, records, e.n, info->num_classes, have_psr, psr);
        free(psr);
    }
    free(records);
    for (int i = 0; i < nfiles; i++) hep_h5file_free(&files[i]);
    free(files);
    hep_model_destroy(m);
    return 0;
}
