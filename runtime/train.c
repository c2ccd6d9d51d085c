/* Training loop (see train.h). */
#include "train.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "data.h"
#include "h5files.h"
#include "init.h"
#include "loader.h"
#include "metrics.h"
#include "norm.h"
#include "optim.h"
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
                     const hep_model_info *info, hep_metrics *out)
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
    hep_metrics_compute(probs, label, weight, normweight, n, K, out);
    free(probs); free(label); free(weight); free(normweight);
}

static void print_evaluation(const char *what, long step, long last, const hep_metrics *e)
{
    double t = unix_time();
    printf("%.3f EVALUATION %s: step %ld (%ld), average loss %g\n", t, what, step, last, e->loss);
    printf("%.3f EVALUATION %s: step %ld (%ld), average accu %g\n", t, what, step, last, e->accuracy);
    printf("%.3f EVALUATION %s: step %ld (%ld), average auc %g\n", t, what, step, last, e->auc);
    if (e->classes > 2)
        for (int k = 0; k < e->classes && k < 16; k++)
            printf("%.3f EVALUATION %s: step %ld (%ld), auc class %d vs rest %g\n", t, what, step, last, k,
                   e->auc_class[k]);
    fflush(stdout);
}

int hep_train(const hep_config *cfg, const char *config_path, const hep_run *run)
{
    const hep_model_info *info = hep_model_info_get();
    char err[512];
    const int workers = run->num_workers;

    /* Data first: a bad file should fail before minutes of set-up. */
    hep_h5file *train_files = NULL, *val_files = NULL;
    int ntrain = 0, nval = 0;
    float channel_max[16] = { 0 };
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
        if (MPI_Allreduce(&local, &fewest, 1, MPI_LONG, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
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
        hep_normalization(cfg->outputpath, train_files, ntrain, info, run->rank, run->size, channel_max);
    }
    const long steps = steps_per_epoch * cfg->num_epochs;
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
    if (run->size > 1 && MPI_Bcast(params, (int)info->num_params, MPI_FLOAT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        hep_fatal("MPI_Bcast of the initial parameters failed");
    hep_adam adam;
    hep_adam_init(&adam, info->num_params, cfg->learning_rate, cfg->weight_decay);

    hep_dummy dummy = { 0 };
    hep_loader *loader = NULL;
    if (cfg->dummy_data) {
        hep_dummy_init(&dummy, info, run->batch, (uint64_t)cfg->seed, run->rank);
    } else {
        hep_loader_options opt = { .rank = run->rank, .size = run->size, .batch = run->batch, .shuffle = 1,
                                   .steps_per_epoch = steps_per_epoch, .first_epoch = 0, .epochs = cfg->num_epochs,
                                   .seed = (uint64_t)cfg->seed, .channel_max = channel_max };
        loader = hep_loader_start(train_files, ntrain, info, &opt);
    }
    eval_set val = { val_files, nval, channel_max, cfg->validation_batch_size, cfg->validation_max_steps };

    double loss_sum = 0.0, t_report = hep_wall_seconds();
    int in_report = 0;
    for (long step = 0; step < steps; step++) {
        const float *x, *w;
        const int *labels;
        if (loader) {
            const hep_batch *b = hep_loader_next(loader);
            if (!b) hep_fatal("internal: the data loader ended at step %ld of %ld", step + 1, steps);
            x = b->x; labels = b->label; w = b->normweight;
        } else {
            hep_dummy_batch(&dummy, step, &x, &labels, &w);
        }
        hep_pass pass = { .training = 1, .keep_prob = (float)cfg->dropout_p, .seed = (uint64_t)cfg->seed,
                          .step = (uint64_t)step,
                          .first_sample = ((uint64_t)step * workers + (uint64_t)run->rank) * run->batch };
        hep_model_forward(m, x, run->batch, &pass, NULL);
        double loss = hep_model_backward(m, labels, w, run->batch, &pass);
        if (run->size > 1) {
            if (MPI_Allreduce(MPI_IN_PLACE, grads, (int)info->num_params, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS ||
                MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
                hep_fatal("MPI_Allreduce of the gradients failed at step %ld", step + 1);
            const float scale = 1.0f / workers;
            for (size_t i = 0; i < info->num_params; i++) grads[i] *= scale;
            loss /= workers;
        }
        if (!isfinite(loss))
            hep_fatal("the training loss became %s at step %ld (learning_rate %g): stopping; "
                      "try a smaller learning_rate", isnan(loss) ? "NaN" : "infinite", step + 1, cfg->learning_rate);
        hep_adam_update(&adam, info, params, grads);
        loss_sum += loss;
        in_report++;
        if ((step + 1) % cfg->display_interval == 0 || step + 1 == steps) {
            double now = hep_wall_seconds();
            if (run->rank == 0) {
                printf("%.3f TRAINING REPORT: step %ld (%ld), average loss %g (%.3f sec/batch)\n", unix_time(),
                       step + 1, steps, loss_sum / in_report, (now - t_report) / in_report);
                fflush(stdout);
            }
            loss_sum = 0.0;
            in_report = 0;
            t_report = now;
        }
        int epoch_end = (step + 1) % steps_per_epoch == 0;
        int interval = cfg->validation_interval > 0 && (step + 1) % cfg->validation_interval == 0;
        if (nval > 0 && (epoch_end || interval)) {
            hep_metrics e;
            evaluate(m, run->batch, &val, run, info, &e);
            if (run->rank == 0) print_evaluation(epoch_end ? "EPOCH SUMMARY" : "REPORT", step + 1, steps, &e);
            t_report = hep_wall_seconds();
        }
    }
    if (loader && run->rank == 0) {
        double wait, bytes, read_s;
        hep_loader_stats(loader, &wait, &bytes, &read_s);
        printf("hepcnn: data: %.1f MB read at %.0f MB/s by the I/O thread; the training thread waited %.2f s in all\n",
               bytes / 1e6, read_s > 0 ? bytes / 1e6 / read_s : 0.0, wait);
    }
    hep_loader_stop(loader);
    if (cfg->dummy_data) hep_dummy_free(&dummy);
    for (int i = 0; i < ntrain; i++) hep_h5file_free(&train_files[i]);
    for (int i = 0; i < nval; i++) hep_h5file_free(&val_files[i]);
    free(train_files);
    free(val_files);
    hep_adam_free(&adam);
    hep_model_destroy(m);
    return 0;
}
