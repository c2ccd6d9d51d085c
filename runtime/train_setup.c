/* The trainer's setup phase (see trainer.h). */
#define _GNU_SOURCE   /* sched_getaffinity */
#include <errno.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_host.h"
#include "curve_history.h"
#include "data.h"
#include "evaluate.h"
#include "init.h"
#include "loader.h"
#include "memory.h"
#include "norm.h"
#include "resume.h"
#include "settings.h"
#include "signals.h"
#include "stopped_evaluation.h"
#include "trainer.h"
#include "util.h"

/* The steps per epoch that trainsamples allows: trainsamples / (batch x
 * workers), refused below one global batch (with files too: a cap that
 * rounds to no steps is a mistake, not a wish for the whole data). */
static long trainsamples_steps(const trainer *t)
{
    const hep_config *cfg = t->cfg;
    const int batch = t->run->batch, workers = t->run->num_workers;
    long spe = (long)((double)cfg->trainsamples / ((double)batch * workers));
    if (spe < 1) {
        char where[160];
        hep_fatal("%s: trainsamples (%ld) is less than one global batch (%d x %d workers)",
                  hep_config_source(cfg, "trainsamples", t->config_path, where, sizeof where), cfg->trainsamples,
                  batch, workers);
    }
    return spe;
}

/* The data files and the steps per epoch (a bad file fails before minutes
 * of set-up). Every rank runs the same number of steps, or a collective
 * would hang: the fewest rows any rank holds, in whole batches. */
static long setup_files(trainer *t)
{
    const hep_config *cfg = t->cfg;
    const hep_run *run = t->run;
    if (cfg->dummy_data) return trainsamples_steps(t);
    char where[160];
    const char *source = hep_config_source(cfg, "inputpath", t->config_path, where, sizeof where);
    t->ntrain = hep_load_files(cfg->inputpath, source, "train", t->info, &t->train_files);
    if (t->ntrain == 0)
        hep_fatal("%s: inputpath '%s' has no training files (names containing 'train', ending in .h5 or .hdf5)", source,
                  cfg->inputpath);
    t->nval = hep_load_files(cfg->inputpath, source, "val", t->info, &t->val_files);
    long local = hep_loader_local_rows(t->train_files, t->ntrain, run->rank, run->size), fewest = local;
    if (MPI_Allreduce(&local, &fewest, 1, MPI_LONG, MPI_MIN, run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Allreduce of the sample counts failed");
    long spe = fewest / run->batch;
    if (spe < 1)
        hep_fatal("inputpath '%s': the training files give a rank only %ld samples, fewer than one batch of %d",
                  cfg->inputpath, fewest, run->batch);
    if (hep_config_given(cfg, "trainsamples")) {
        long cap = trainsamples_steps(t);
        if (cap < spe) spe = cap;
    }
    return spe;
}

/* The input pipeline's bytes for a batch (for the memory check). */
static size_t input_bytes(const void *ctx, int batch)
{
    const trainer *t = ctx;
    if (t->cfg->dummy_data) return hep_dummy_bytes(t->info, batch, t->run->num_workers);
    return hep_loader_bytes(t->info, batch, (long)t->cfg->read_window_mb << 20);
}

static void setup_model(trainer *t)
{
    char err[512];
    char where[160];
    hep_check_model_memory(t->run->batch, t->run->threads, input_bytes, t, t->run->comm,
                           hep_config_source(t->cfg, "train_batch_size", t->config_path, where, sizeof where),
                           "train_batch_size");
    t->m = hep_model_create(t->run->batch, t->run->threads, err, sizeof err);
    if (!t->m) hep_fatal("%s", err);
    t->params = hep_model_params(t->m);
    t->grads = hep_model_grads(t->m);
    hep_adam_init(&t->adam, t->info->num_internal, t->cfg->learning_rate, t->cfg->weight_decay);
}

/* A fresh start's weights, drawn from the seed. A resumed run skips the
 * draws, which its checkpoint's weights would replace: hep64's 4.5 million
 * took 0.1 s of two cores natively and 21 s under qemu's emulation. Same
 * seed gives the same weights everywhere; the broadcast makes it a
 * guarantee rather than a coincidence. */
static void setup_initial_params(trainer *t)
{
    hep_init_params(t->m, t->info, (uint64_t)t->cfg->seed);
    if (t->run->size > 1 &&
        MPI_Bcast(t->params, (int)t->info->num_internal, MPI_FLOAT, 0, t->run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Bcast of the initial parameters failed");
}

/* Every rank resumed from the same step, or none resumed: each reads
 * outputpath/models itself, and where that folder is not one all ranks
 * share (a node's own /tmp), the ranks would train different weights from
 * different steps. */
static void check_ranks_resumed_alike(const trainer *t, long resumed)
{
    if (t->run->size == 1) return;
    long least[2] = { resumed, -resumed };   /* the least step and, negated, the most */
    if (MPI_Allreduce(MPI_IN_PLACE, least, 2, MPI_LONG, MPI_MIN, t->run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Allreduce of the checkpoint step each rank resumed from failed");
    if (least[0] != -least[1])
        hep_fatal("the ranks found different checkpoints in %s/models (steps %ld to %ld; -1: none): the outputpath "
                  "must be a folder every rank of the job shares", t->cfg->outputpath, least[0], -least[1]);
}

/* Resume or the initial weights, then the channel maxima: the
 * checkpoint's, or the training sample's on a fresh start. */
static void setup_resume(trainer *t)
{
    const int C = t->info->in_channels;
    t->channel_max = hep_xmalloc(sizeof(float) * C, "the channel maxima");
    for (int c = 0; c < C; c++) t->channel_max[c] = 1.0f;
    char *settings = hep_settings_json(t->cfg, (long)t->run->batch * t->run->num_workers, t->sched.steps_per_epoch);
    t->ckpt = (hep_checkpoint_state){ .seed = (unsigned long long)t->cfg->seed, .channels = C,
                                      .channel_max = t->channel_max };
    const long resumed = hep_resume(t->cfg, t->m, t->info, &t->adam, &t->ckpt, settings, t->run->rank);
    check_ranks_resumed_alike(t, resumed);
    if (resumed < 0) setup_initial_params(t);
    t->first_step = t->step = resumed < 0 ? 0 : resumed;
    t->saved_step = t->first_step;   /* that step's checkpoint is there */
    t->ckpt.settings = settings;
    if (t->first_step > 0 && t->run->rank == 0) {
        long spe = t->sched.steps_per_epoch;
        if (t->first_step < t->sched.total_steps)
            printf("hepcnn: continuing at step %ld of %ld: epoch %ld, step %ld of %ld in it\n", t->first_step,
                   t->sched.total_steps, t->first_step / spe + 1, t->first_step % spe, spe);
        hep_curves_reload(t->cfg->outputpath, t->first_step, &t->train_curve, &t->val_curve);
    }
    if (t->first_step == 0 && !t->cfg->dummy_data)
        hep_normalization(t->run->comm, t->cfg->outputpath, t->train_files, t->ntrain, t->info, t->run->rank,
                          t->run->size, t->channel_max);
}

/* A run whose last evaluation a stop cut short: started again at that
 * checkpoint, it runs that evaluation only; started anywhere else (an
 * earlier checkpoint, more epochs), the record is of no more use. */
static void setup_stopped_evaluation(trainer *t)
{
    const int rank = t->run->rank;
    long step = rank == 0 ? hep_stopped_evaluation_read(t->cfg->outputpath) : -1;
    if (t->run->size > 1 && MPI_Bcast(&step, 1, MPI_LONG, 0, t->run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Bcast of the stopped evaluation's step failed");
    t->evaluate_only = step > 0 && step == t->first_step && t->first_step >= t->sched.total_steps && t->nval > 0;
    if (rank != 0) return;
    if (t->evaluate_only) {
        printf("hepcnn: the checkpoint is at step %ld, the run's last, whose evaluation a stop cut short: "
               "evaluating it now\n", step);
        fflush(stdout);
    } else if (step > 0) {
        hep_stopped_evaluation_remove(t->cfg->outputpath);
    }
}

/* Validation files are read through once before training, like the
 * training files, so that a bad value fails now and not after an epoch. */
static void check_validation_files(trainer *t)
{
    char err[1024];
    if (t->nval > 0 &&
        hep_scan_files(t->val_files, t->nval, t->info, t->run->rank, t->run->size, NULL, err, sizeof err) != 0)
        hep_fatal("%s", err);
}

static void setup_batches(trainer *t)
{
    const hep_run *run = t->run;
    if (t->cfg->dummy_data) {
        t->batches = hep_batches_dummy(t->info, run->batch, run->num_workers, run->rank, (uint64_t)t->cfg->seed);
        return;
    }
    const long spe = t->sched.steps_per_epoch;
    hep_loader_options opt = { .rank = run->rank, .size = run->size, .batch = run->batch, .shuffle = 1,
                               .steps_per_epoch = spe, .first_epoch = (int)(t->first_step / spe),
                               .skip_batches = t->first_step % spe, .epochs = t->cfg->num_epochs,
                               .seed = (uint64_t)t->cfg->seed, .channel_max = t->channel_max,
                               .window_bytes = (long)t->cfg->read_window_mb << 20 };
    t->batches = hep_batches_files(t->train_files, t->ntrain, t->info, &opt);
}

static void setup_comm(trainer *t)
{
    const hep_run *run = t->run;
    if (run->num_ps > 0) {
        hep_ps_layout layout = { .workers = run->num_workers, .servers = run->num_ps, .params = t->info->num_internal,
                                 .sync = strcmp(t->cfg->mode, "async") != 0,
                                 .needed = run->num_workers - t->cfg->num_hot_spares };
        hep_ps_worker_start(&t->ps, &layout, run->rank, &t->sched, t->first_step, t->params, &t->adam);
    } else if (run->size > 1) {
        hep_allreduce_init(&t->allreduce, t->m, run->comm, run->num_workers, t->info->num_internal,
                           t->cfg->overlap_allreduce);
    }
}

/* The CPUs a process may run on (taskset, srun's binding, a cpuset), or 0
 * when that cannot be told; pid 0 is this one. */
static int cpus_available(pid_t pid)
{
    cpu_set_t set;
    return sched_getaffinity(pid, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
}

/* The CPUs this rank's threads may run on. Where OpenMP pins threads
 * (OMP_PROC_BIND, as the Cori scripts and run_local.sh -b set it), it has
 * already pinned this, the first thread, to its first place, so the
 * process's own mask says one core: count the places' CPUs instead, which
 * OpenMP took from the mask the rank started with. */
static int rank_cpus(void)
{
    if (omp_get_proc_bind() != omp_proc_bind_false) {
        int n = 0;
        for (int p = 0; p < omp_get_num_places(); p++) n += omp_get_place_num_procs(p);
        if (n > 0) return n;
    }
    return cpus_available(0);
}

/* Threads against CPUs, as notes. More threads than CPUs take turns on a
 * core, and every parallel loop waits for the last (64 threads on the
 * 2-CPU development host: a hep64 step 3x slower). OpenMPI's mpirun binds
 * each of one or two ranks to a single core (`mpirun -np 1` trained on one
 * of two), and leaves three or more unbound, each with all threads. Its
 * ranks on this node are counted against the CPUs of the process that
 * started them (mpirun or its daemon). */
static void note_cpu_use(int threads)
{
    const int mine = rank_cpus(), launcher = cpus_available(getppid());
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const long here = local ? atoi(local) : 0;
    const int bound = here > 0 && mine > 0 && here * mine < launcher;
    if (mine > 0 && threads > mine && bound)
        printf("hepcnn: note: %d threads (OMP_NUM_THREADS) on the %d CPU(s) this rank may run on: they take turns "
               "and each step waits for the last; mpirun bound it to %d of the %d CPU(s) it may use: mpirun --bind-to "
               "none (as run_scripts/run_local.sh) gives it them\n", threads, mine, mine, launcher);
    else if (mine > 0 && threads > mine)
        printf("hepcnn: note: %d threads (OMP_NUM_THREADS) on the %d CPU(s) this rank may run on: they take turns "
               "and each step waits for the last; OMP_NUM_THREADS=%d (or more CPUs for the rank: srun -c) uses them better\n",
               threads, mine, mine);
    else if (here > 0 && launcher > 0 && here * threads > launcher)
        printf("hepcnn: note: %ld ranks x %d thread(s) on this node's %d CPU(s): they take turns and each step waits "
               "for the last; %s %ld use%s them better\n", here, threads, launcher,
               here > launcher ? "ranks per node at most" : "OMP_NUM_THREADS =", here > launcher ? launcher : launcher / here,
               here > launcher ? "" : "s");
    else if (bound)
        printf("hepcnn: note: mpirun bound this rank to %d of the %d CPU(s) it may use, and its %ld rank(s) on this "
               "node leave %ld idle: mpirun --bind-to none (as run_scripts/run_local.sh), or more ranks, use them\n",
               mine, launcher, here, launcher - here * mine);
}

static void print_start(const trainer *t)
{
    if (t->run->rank != 0) return;
    const hep_run *run = t->run;
    printf("hepcnn: %s (%s, %s), %d rank(s) x %d thread(s), batch %d per rank, %ld steps "
           "(%ld per epoch), %.2f GFLOP per image per step\n", t->info->network, t->info->network_file,
           t->info->arch, run->size, run->threads, run->batch, t->sched.total_steps, t->sched.steps_per_epoch,
           t->info->flops_train / 1e9);
    const long pieces = (long)run->batch * t->info->backward_pieces;
    if (pieces < run->threads)   /* conv_backward's split (docs/DESIGN.md, "Backward") */
        printf("hepcnn: note: %d threads for %d image(s) per rank: the convolutions' backward (about two thirds "
               "of a step's work) cuts each image into as few as %d pieces in some layers, %ld for the batch, so "
               "%ld thread(s) wait there; more images per rank (train_batch_size) or fewer threads per rank "
               "(OMP_NUM_THREADS) use the cores better\n",
               run->threads, run->batch, t->info->backward_pieces, pieces, run->threads - pieces);
    note_cpu_use(run->threads);
    hep_note_tuning_host(t->info);
    if (!t->cfg->dummy_data)
        printf("hepcnn: %d training and %d validation file(s) in %s\n", t->ntrain, t->nval, t->cfg->inputpath);
    if (hep_h5_serialized())
        printf("hepcnn: HDF5 calls are serialised (the library is not thread-safe, or HEPCNN_HDF5_SERIALIZE=1)\n");
    fflush(stdout);
}

/* The first checkpoint comes after an epoch (or checkpoint_steps), hours
 * on a cluster: an outputpath whose file system cannot hold one (a full
 * scratch) is said now, not after the work that checkpoint would keep. */
static void check_room_for_checkpoint(const trainer *t)
{
    char models[4300], where[160];
    double free_mib;
    const double need = hep_checkpoint_bytes(t->info, 1);
    snprintf(models, sizeof models, "%s/models", t->cfg->outputpath);
    if (hep_room_short(models, need, &free_mib))
        hep_fatal("%s: the file system of outputpath '%s' has %.1f MiB free, and each checkpoint of %s needs about "
                  "%.1f MiB: make room there, or give another --outputpath, before training (its first checkpoint "
                  "would fail)", hep_config_source(t->cfg, "outputpath", t->config_path, where, sizeof where),
                  t->cfg->outputpath, free_mib, t->info->network, need / 1048576.0);
}

void hep_trainer_setup(trainer *t)
{
    const hep_config *cfg = t->cfg;
    long spe = setup_files(t);
    t->sched = (hep_schedule){ .steps_per_epoch = spe, .total_steps = spe * cfg->num_epochs,
                               .save_interval = cfg->save_interval, .checkpoint_steps = cfg->checkpoint_steps };
    t->planned_total = t->sched.total_steps;
    t->lock.fd = t->summary.file.fd = -1;
    if (t->run->rank == 0) hep_lock_outputpath(&t->lock, cfg->outputpath);   /* before anything is written there */
    hep_log_open(&t->log, cfg->outputpath, t->run->rank);
    print_start(t);
    setup_model(t);
    setup_resume(t);
    if (cfg->create_summary && t->run->rank == 0) hep_summary_open(&t->summary, cfg->outputpath, t->first_step);
    t->config_json = hep_config_to_json(cfg);
    setup_comm(t);
    setup_stopped_evaluation(t);
    if (t->first_step >= t->sched.total_steps && !t->evaluate_only) return;   /* nothing left to do: no data is read */
    if (!t->evaluate_only && t->run->rank == 0) check_room_for_checkpoint(t);
    check_validation_files(t);
    if (t->evaluate_only) {
        hep_signals_install();
        return;
    }
    setup_batches(t);
    /* OpenMPI's mpirun gives each rank a pseudo-terminal for its output even
     * when mpirun's own goes to a file (a batch job's log): there the bar
     * would be thousands of carriage returns and escapes among the report
     * lines. So under mpirun only the report lines are printed. */
    t->progress = t->run->rank == 0 && isatty(STDOUT_FILENO) && !getenv("OMPI_COMM_WORLD_SIZE");
    const char *slow = getenv("HEPCNN_TEST_SLOW_WORKER");   /* "RANK:MS": that worker sleeps before each exchange */
    if (slow && atoi(slow) == t->run->rank && strchr(slow, ':')) t->slow_ms = atoi(strchr(slow, ':') + 1);
    if (cfg->timeline[0] && t->run->rank == 0 && hep_timeline_open(&t->tl, cfg->timeline) != 0) {
        char where[160];
        hep_fatal("%s: cannot write the timeline '%s': %s",
                  hep_config_source(cfg, "timeline", t->config_path, where, sizeof where), cfg->timeline, strerror(errno));
    }
    t->layer_times = hep_xmalloc(sizeof(hep_layer_time) * t->info->num_layers, "layer times");
    t->last_checkpoint = t->t_report = hep_wall_seconds();
    hep_signals_install();   /* from here on a signal stops at a checkpoint; before, there is nothing to save */
}

void hep_trainer_free(trainer *t)
{
    hep_batches_close(t->batches);
    hep_log_close(&t->log);
    hep_summary_close(&t->summary);
    hep_curve_free(&t->train_curve);
    hep_curve_free(&t->val_curve);
    free(t->layer_times);
    free(t->config_json);
    free(t->ckpt.settings);
    free(t->channel_max);
    for (int i = 0; i < t->ntrain; i++) hep_h5file_free(&t->train_files[i]);
    for (int i = 0; i < t->nval; i++) hep_h5file_free(&t->val_files[i]);
    free(t->train_files);
    free(t->val_files);
    if (t->run->num_ps > 0) hep_ps_worker_free(&t->ps);
    hep_adam_free(&t->adam);
    hep_model_destroy(t->m);
    hep_lock_release(&t->lock);
}
