/* Evaluation and test mode (see evaluate.h). */
#include "evaluate.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cuts.h"
#include "h5open.h"
#include "h5syserr.h"
#include "plots.h"
#include "loader.h"
#include "memory.h"
#include "resume.h"
#include "signals.h"
#include "util.h"

int hep_load_files(const char *inputpath, const char *source, const char *kind, const hep_model_info *info,
                   hep_h5file **out)
{
    char err[1024], **paths;
    int n = hep_h5_list(inputpath, kind, &paths, err, sizeof err);
    if (n < 0) hep_fatal("%s: %s", source, err);
    hep_h5file *files = hep_xmalloc(sizeof(hep_h5file) * (size_t)(n > 0 ? n : 1), "the file table");
    for (int i = 0; i < n; i++) {
        if (hep_h5file_load(&files[i], paths[i], info, err, sizeof err) != 0) hep_fatal("%s", err);
        free(paths[i]);
    }
    free(paths);
    *out = files;
    return n;
}

int hep_samples_score(hep_model *m, int model_batch, const hep_eval_set *set, const hep_run *run,
                      const hep_model_info *info, int loss_by_normweight, hep_samples *out)
{
    hep_loader_options opt = { .rank = run->rank, .size = run->size, .batch = set->batch, .shuffle = 0,
                               .steps_per_epoch = -1, .first_epoch = 0, .epochs = 1,
                               .channel_max = set->channel_max };
    hep_loader *l = hep_loader_start(set->files, set->nfiles, info, &opt);
    long cap = hep_loader_local_rows(set->files, set->nfiles, run->rank, run->size);
    size_t rows = (size_t)(cap > 0 ? cap : 1);
    const int K = info->num_classes;
    out->probs = hep_xmalloc(sizeof(float) * rows * K, "evaluation scores");
    out->label = hep_xmalloc(sizeof(int) * rows, "evaluation labels");
    out->weight = hep_xmalloc(sizeof(float) * rows, "evaluation weights");
    out->normweight = hep_xmalloc(sizeof(float) * rows, "evaluation weights");
    out->psr = hep_xmalloc(sizeof(float) * rows, "evaluation psr");
    long n = 0;
    int steps = 0, stopped = 0;
    hep_pass pass = { .training = 0, .keep_prob = 1.0f };
    const hep_batch *b;
    const size_t image = (size_t)info->in_channels * info->in_height * info->in_width;
    while ((b = hep_loader_next(l)) != NULL && (set->max_steps <= 0 || steps < set->max_steps)) {
        if (set->stoppable && hep_stop_signal()) {
            stopped = 1;
            break;
        }
        for (int i0 = 0; i0 < b->n; i0 += model_batch) {
            int chunk = b->n - i0 < model_batch ? b->n - i0 : model_batch;
            hep_model_forward(m, b->x + (size_t)i0 * image, chunk, &pass, out->probs + (size_t)(n + i0) * K);
        }
        memcpy(out->label + n, b->label, sizeof(int) * b->n);
        memcpy(out->weight + n, b->weight, sizeof(float) * b->n);
        for (int i = 0; i < b->n; i++) out->normweight[n + i] = loss_by_normweight ? b->normweight[i] : 1.0f;
        memcpy(out->psr + n, b->psr, sizeof(float) * b->n);
        n += b->n;
        steps++;
    }
    hep_loader_stop(l);
    out->n = n;
    return stopped;
}

void hep_samples_free(hep_samples *s)
{
    free(s->probs); free(s->label); free(s->weight); free(s->normweight); free(s->psr);
}

static double unix_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + 1e-6 * tv.tv_usec;
}

void hep_print_evaluation(hep_log *log, const char *set, const char *what, long step, long last,
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

/* The predictions' columns, taken out of the gathered records. */
typedef struct {
    long n;
    int K, have_psr;
    float *scores, *weight, *psr;
    int *label;
} prediction_columns;

static void columns_of(const float *records, long n, int K, int have_psr, prediction_columns *c)
{
    const size_t rows = (size_t)(n > 0 ? n : 1);
    const int stride = K + HEP_REC_FIELDS;
    *c = (prediction_columns){ .n = n, .K = K, .have_psr = have_psr };
    c->scores = hep_xmalloc(sizeof(float) * rows * K, "scores");
    c->label = hep_xmalloc(sizeof(int) * rows, "labels");
    c->weight = hep_xmalloc(sizeof(float) * rows, "weights");
    c->psr = hep_xmalloc(sizeof(float) * rows, "psr");
    for (long i = 0; i < n; i++) {
        const float *r = records + i * stride;
        memcpy(c->scores + i * K, r, sizeof(float) * K);
        c->label[i] = (int)r[K + HEP_REC_LABEL];
        c->weight[i] = r[K + HEP_REC_WEIGHT];
        c->psr[i] = r[K + HEP_REC_PSR];
    }
}

/* The columns as HDF5 file `tmp`: 0, or non-zero with *err the system's
 * errno behind the first HDF5 call that failed (0: none). */
static int write_columns(const char *tmp, const prediction_columns *c, int *err)
{
    hep_h5_lock();
    hep_h5_watch_errno(err);
    hid_t file = hep_h5_create(tmp);
    int bad = file < 0;
    hsize_t d2[2] = { (hsize_t)c->n, (hsize_t)c->K }, d1[1] = { (hsize_t)c->n };
    struct { const char *name; int rank; hsize_t *dims; hid_t ftype, mtype; const void *buf; } sets[] = {
        { "scores", 2, d2, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->scores },
        { "label", 1, d1, H5T_STD_I32LE, H5T_NATIVE_INT, c->label },
        { "weight", 1, d1, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->weight },
        { "psr", 1, d1, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->psr },
    };
    for (int i = 0; !bad && i < (c->have_psr ? 4 : 3); i++) {
        hid_t space = H5Screate_simple(sets[i].rank, sets[i].dims, NULL);
        hid_t ds = H5Dcreate2(file, sets[i].name, sets[i].ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        bad |= ds < 0 || H5Dwrite(ds, sets[i].mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, sets[i].buf) < 0;
        if (ds >= 0) H5Dclose(ds);
        H5Sclose(space);
    }
    if (file >= 0) bad |= H5Fclose(file) < 0;
    hep_h5_unwatch_errno();
    hep_h5_unlock();
    return bad;
}

/* outputpath/predictions-test.h5: scores [n][K], label, weight, and psr
 * when the test files have it, in the gathered order. A write the file
 * system fails with room left is made again, as a checkpoint's is: a test
 * pass over a large test set is not to be lost to a passing fault. */
static void write_predictions(const char *outputpath, const float *records, long n, int K, int have_psr)
{
    char path[4300], tmp[4400], doing[4400];
    snprintf(path, sizeof path, "%s/predictions-test.h5", outputpath);
    snprintf(tmp, sizeof tmp, "%s/.predictions-test.h5.tmp", outputpath);
    snprintf(doing, sizeof doing, "writing predictions %s", path);
    const double need_bytes = (double)n * (K + 3) * sizeof(float);
    prediction_columns c;
    columns_of(records, n, K, have_psr, &c);
    int err, tries = 0;
    unsigned waited = 0;
    while (write_columns(tmp, &c, &err) != 0) {
        unlink(tmp);
        if (hep_write_cannot_fit(path, need_bytes, err) || !hep_wait_to_retry(doing, err ? strerror(err) : "the file system?", &tries, &waited))
            hep_write_failed("predictions", path, tmp, err, need_bytes, "the checkpoints are unchanged");
    }
    if (rename(tmp, path) != 0) hep_fatal("cannot rename %s to %s: %s", tmp, path, strerror(errno));
    printf("hepcnn: per-sample scores -> %s\n", path);
    free(c.scores); free(c.label); free(c.weight); free(c.psr);
}

/* The standard cuts' working point and the CNN's background rejection at
 * the same signal efficiency (cuts.h), in the report's style. */
static void print_cuts(hep_log *log, const float *records, long n, int K, long step)
{
    hep_cuts c;
    char why[256];
    if (hep_cuts_compare(records, n, K, &c, why, sizeof why) != 0) {
        hep_log_line(log, "hepcnn: no standard-cuts comparison: %s\n", why);
        return;
    }
    double cut_rej = c.cut_background_eff > 0 ? 1 / c.cut_background_eff : INFINITY;
    double cnn_rej = c.cnn_background_eff > 0 ? 1 / c.cnn_background_eff : INFINITY;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    double t = tv.tv_sec + 1e-6 * tv.tv_usec;
    hep_log_line(log, "%.3f STANDARD CUTS: step %ld, signal efficiency %g, background rejection %g\n", t, step,
                 c.cut_signal_eff, cut_rej);
    hep_log_line(log, "%.3f CNN AT THE CUTS' SIGNAL EFFICIENCY: step %ld, background rejection %g (score >= %g; "
                 "%.2fx the cuts')\n", t, step, cnn_rej, c.cnn_threshold, cnn_rej / cut_rej);
    hep_log_record(log, "\"time\": %.3f, \"step\": %ld, \"eval\": \"test\", \"cuts_signal_efficiency\": %.9g, "
                   "\"cuts_background_efficiency\": %.9g, \"cnn_background_efficiency\": %.9g", t, step,
                   c.cut_signal_eff, c.cut_background_eff, c.cnn_background_eff);
}

/* The test loader's bytes for a batch (for the memory check). */
static size_t test_input_bytes(const void *ctx, int batch)
{
    (void)ctx;
    return hep_loader_bytes(hep_model_info_get(), batch, 0);   /* hep_samples_score's loader: the default window */
}

int hep_test(const hep_config *cfg, const char *config_path, const hep_run *run)
{
    const hep_model_info *info = hep_model_info_get();
    hep_h5file *files;
    char err[1024], path[4400], where[160], input_where[160];
    const char *source = hep_config_source(cfg, "inputpath", config_path, input_where, sizeof input_where);
    int nfiles = hep_load_files(cfg->inputpath, source, "test", info, &files);
    if (nfiles == 0)
        hep_fatal("%s: inputpath '%s' has no test files (names containing 'test', ending in .h5 or .hdf5)", source,
                  cfg->inputpath);
    hep_check_model_memory(cfg->test_batch_size, run->threads, test_input_bytes, NULL, run->comm,
                           hep_config_source(cfg, "test_batch_size", config_path, where, sizeof where), "test_batch_size");
    hep_model *m = hep_model_create(cfg->test_batch_size, run->threads, err, sizeof err);
    if (!m) hep_fatal("%s", err);
    long id = cfg->checkpoint_id >= 0 ? cfg->checkpoint_id : hep_checkpoint_latest(cfg->outputpath);
    if (id < 0) hep_fatal("--mode=test: %s/models has no checkpoint (train first, or give --checkpoint_id)", cfg->outputpath);
    float *channel_max = hep_xmalloc(sizeof(float) * info->in_channels, "the channel maxima");
    hep_checkpoint_state state = { .channel_max = channel_max };
    hep_load_checkpoint(cfg, id, m, info, NULL, &state, path, sizeof path);
    if (run->rank == 0) printf("hepcnn: testing %s (step %ld) on %d test file(s)\n", path, state.step, nfiles);
    hep_eval_set set = { files, nfiles, channel_max, cfg->test_batch_size, cfg->test_max_steps, 0 };
    hep_samples samples;
    hep_samples_score(m, cfg->test_batch_size, &set, run, info, !strcmp(cfg->loss_weight, "normweight"), &samples);
    hep_metrics e;
    float *records = NULL;
    hep_metrics_compute(run->comm, &samples, info->num_classes, &e, &records);
    hep_samples_free(&samples);
    hep_log log;
    hep_log_open(&log, cfg->outputpath, run->rank);
    hep_print_evaluation(&log, "test", "SUMMARY", state.step, state.step, &e);
    if (run->rank == 0) {
        int have_psr = 1;
        for (int f = 0; f < nfiles; f++) have_psr &= files[f].psr != NULL;
        if (have_psr) print_cuts(&log, records, e.n, info->num_classes, state.step);
        write_predictions(cfg->outputpath, records, e.n, info->num_classes, have_psr);
        hep_cuts cuts;
        char why[256];
        int have_cuts = have_psr && hep_cuts_compare(records, e.n, info->num_classes, &cuts, why, sizeof why) == 0;
        hep_write_test_plots(cfg->outputpath, records, e.n, info->num_classes, e.auc, have_cuts ? &cuts : NULL);
    }
    hep_log_close(&log);
    free(records);
    free(state.settings);
    free(channel_max);
    for (int i = 0; i < nfiles; i++) hep_h5file_free(&files[i]);
    free(files);
    hep_model_destroy(m);
    return 0;
}
