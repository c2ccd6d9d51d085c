/* The training loop (see train.h, and trainer.h for its phases). */
#define _DEFAULT_SOURCE   /* usleep */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "evaluate.h"
#include "cuts.h"
#include "metrics.h"
#include "signals.h"
#include "stopped_evaluation.h"
#include "trainer.h"
#include "util.h"

static double unix_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + 1e-6 * tv.tv_usec;
}

/* ------------------------------------------------------------------ step */

static void trace_layers(trainer *t, double t_fwd, double t_bwd)
{
    hep_model_layer_times(t->m, t->layer_times);
    double at = t_fwd;
    for (int l = 0; l < t->info->num_layers; l++) {
        hep_timeline_event(&t->tl, t->info->layers[l].name, "forward", at, t->layer_times[l].forward);
        at += t->layer_times[l].forward;
    }
    at = t_bwd;
    for (int l = t->info->num_layers - 1; l >= 0; l--) {
        double d = t->layer_times[l].backward_data + t->layer_times[l].backward_weights;
        hep_timeline_event(&t->tl, t->info->layers[l].name, "backward", at, d);
        at += d;
    }
}

/* Rank 0 keeps the first stop signal it received, for the stop's lines. */
static void note_stop_signal(trainer *t)
{
    if (t->stop_signal == 0 && t->run->rank == 0) t->stop_signal = hep_stop_signal();
}

/* What stopped the run, as the stop's lines say it. */
static const char *stopped_by(const trainer *t)
{
    return t->stop_signal ? hep_signal_name(t->stop_signal) : "a signal to another rank";
}

static int clock_wants_checkpoint(const trainer *t)
{
    return t->run->rank == 0 && t->cfg->checkpoint_minutes > 0 &&
           hep_wall_seconds() - t->last_checkpoint >= 60.0 * t->cfg->checkpoint_minutes;
}

/* The gradient exchange, where the ranks also agree on a stop (a signal on
 * any rank) and on a checkpoint rank 0's clock asks for, at this step. */
static void exchange(trainer *t)
{
    const hep_run *run = t->run;
    note_stop_signal(t);
    if (run->num_ps > 0) {
        if (!isfinite(t->loss))   /* never send a broken gradient to the servers */
            hep_fatal("the training loss became %s at step %ld on worker %d (learning_rate %g): stopping",
                      isnan(t->loss) ? "NaN" : "infinite", t->step + 1, run->rank, t->cfg->learning_rate);
        if (t->slow_ms > 0) usleep((useconds_t)t->slow_ms * 1000);
        if (hep_stop_signal()) t->ps.requests |= HEP_PS_REQ_STOP;
        if (clock_wants_checkpoint(t)) t->ps.requests |= HEP_PS_REQ_CHECKPOINT;
        t->done = hep_ps_exchange(&t->ps, t->params, t->grads, &t->loss, t->step);
        t->sched.total_steps = t->ps.total;
        return;
    }
    double control[3] = { t->loss, hep_stop_signal() != 0, clock_wants_checkpoint(t) };
    if (run->size > 1) {
        hep_allreduce_finish(&t->allreduce, control, 3, t->step + 1);
        control[0] /= run->num_workers;
    }
    t->loss = control[0];
    t->done = t->step + 1;
    if (control[1] > 0 && t->done < t->sched.total_steps) t->sched.total_steps = t->done;
    t->checkpoint_now = control[2] > 0;
}

static void close_timeline(trainer *t, const char *what)
{
    const int err = hep_timeline_close(&t->tl);
    if (err)
        fprintf(stderr, "hepcnn: warning: writing the timeline %s failed (%s): it is cut short; the run goes on\n",
                t->cfg->timeline, strerror(err));
    else
        printf("hepcnn: timeline %s -> %s\n", what, t->cfg->timeline);
}

static void train_step(trainer *t)
{
    const hep_run *run = t->run;
    const int tracing = t->tl.f && t->step >= t->first_step + 2 && t->step < t->first_step + 5;   /* after warm-up */
    double t_data = hep_wall_seconds();
    hep_train_batch b;
    hep_batches_next(t->batches, t->step, &b);
    hep_pass pass = { .training = 1, .keep_prob = (float)t->cfg->dropout_p, .seed = (uint64_t)t->cfg->seed,
                      .step = (uint64_t)t->step,
                      .first_sample = ((uint64_t)t->step * run->num_workers + (uint64_t)run->rank) * run->batch };
    double t_fwd = hep_wall_seconds();
    if (tracing) {
        hep_timeline_event(&t->tl, "data wait", "data", t_data, t_fwd - t_data);
        hep_model_reset_layer_times(t->m);
    }
    hep_model_forward(t->m, b.x, run->batch, &pass, NULL);
    double t_bwd = hep_wall_seconds();
    /* the seed's loss is unweighted; loss_weight "normweight" weights it */
    t->loss = hep_model_backward(t->m, b.labels, !strcmp(t->cfg->loss_weight, "normweight") ? b.weights : NULL,
                                 run->batch, &pass);
    double t_comm = hep_wall_seconds();
    if (tracing) trace_layers(t, t_fwd, t_bwd);
    exchange(t);
    if (!isfinite(t->loss))
        hep_fatal("the training loss became %s at step %ld (learning_rate %g): stopping; try a smaller learning_rate",
                  isnan(t->loss) ? "NaN" : "infinite", t->step + 1, t->cfg->learning_rate);
    double t_opt = hep_wall_seconds();
    if (tracing && run->size > 1)
        hep_timeline_event(&t->tl, run->num_ps ? "parameter servers" : "allreduce", "communication", t_comm,
                           t_opt - t_comm);
    t->lr = hep_lr_at(&t->cfg->lr, t->step);   /* keyed by the global step: restarts and servers agree */
    t->adam.lr = t->lr;
    if (run->num_ps == 0) hep_adam_update(&t->adam, t->info, t->params, t->grads);   /* with servers, they run it */
    if (tracing && run->num_ps == 0) hep_timeline_event(&t->tl, "Adam", "optimiser", t_opt, hep_wall_seconds() - t_opt);
    if (t->tl.f && t->step + 1 == t->first_step + 5) {
        char what[64];
        snprintf(what, sizeof what, "of steps %ld-%ld", t->first_step + 3, t->first_step + 5);
        close_timeline(t, what);
    }
}

/* ---------------------------------------------------------------- report */

static void report(trainer *t)
{
    t->loss_sum += t->loss;
    t->lr_sum += t->lr;
    t->in_report++;
    const long done = t->done, planned = t->planned_total;
    if (t->progress) {
        double per = (hep_wall_seconds() - t->t_report) / t->in_report;
        int width = 30, bar = (int)(width * (done - t->first_step) / (planned - t->first_step));
        printf("\r  step %ld/%ld [%.*s%*s] %.1f img/s, ETA %.0f s \033[K", done, planned, bar,
               "##############################", width - bar, "", t->run->batch * t->run->num_workers / per,
               per * (planned - done));
        fflush(stdout);
    }
    if (!hep_crossed(t->cfg->display_interval, t->step, done) && done < t->sched.total_steps) return;
    hep_lock_check(&t->lock, "the report", done);
    double now = hep_wall_seconds(), per = (now - t->t_report) / t->in_report, mean = t->loss_sum / t->in_report;
    double lr = t->lr_sum / t->in_report;
    if (t->progress) printf("\r\033[K");
    double when = unix_time();
    hep_log_line(&t->log, "%.3f TRAINING REPORT: step %ld (%ld), average loss %g (%.3f sec/batch), average learning "
                 "rate %g\n", when, done, planned, mean, per, lr);
    hep_log_record(&t->log, "\"time\": %.3f, \"step\": %ld, \"loss\": %.9g, \"images_per_s\": %.3f, "
                   "\"learning_rate\": %.9g", when, done, mean, t->run->batch * t->run->num_workers / per, lr);
    static const char *const tags[] = { "train/loss", "train/learning_rate", "train/images_per_s" };
    const double values[] = { mean, lr, t->run->batch * t->run->num_workers / per };
    hep_summary_scalars(&t->summary, done, 3, tags, values);
    hep_curve_add(&t->train_curve, (double)done, mean);
    t->loss_sum = t->lr_sum = 0.0;
    t->in_report = 0;
    t->t_report = now;
}

/* ------------------------------------------------------------ checkpoint */

static void save(trainer *t, long step, const float *params, const float *m, const float *v, long adam_step)
{
    hep_lock_check(&t->lock, "the checkpoint", step);
    t->ckpt.step = step;
    t->ckpt.epoch = (int)(step / t->sched.steps_per_epoch);
    t->ckpt.model_state = hep_model_state(t->m);
    hep_checkpoint_save(t->cfg->outputpath, t->m, t->info, params, m, v, adam_step, &t->ckpt, t->config_json, &t->lock);
    hep_checkpoint_prune(t->cfg->outputpath, t->sched.steps_per_epoch, t->cfg->checkpoint_keep);
    char path[4400];
    hep_checkpoint_path(t->cfg->outputpath, step, path, sizeof path);
    hep_log_line(&t->log, "%.3f CHECKPOINT: step %ld, epoch %d -> %s\n", unix_time(), step, t->ckpt.epoch, path);
    t->last_checkpoint = hep_wall_seconds();
    t->saved_step = step;
}

static void save_snapshot(trainer *t, const hep_ps_snapshot *s)
{
    if (s->consistent) save(t, s->step, s->params, s->m, s->v, s->adam_step);
    else fprintf(stderr, "hepcnn: warning: checkpoint at step %ld skipped: the parameter servers' shards are of "
                 "different steps (hot spares)\n", s->step);
    hep_ps_snapshot_done(&t->ps);
}

/* Rank 0 writes what is due at `done` (with parameter servers: a scheduled
 * checkpoint whose snapshots have arrived; the last one comes in finish). */
static void checkpoint(trainer *t)
{
    if (t->run->rank != 0) return;
    if (t->run->num_ps > 0) {
        hep_ps_snapshot s;
        if (hep_ps_snapshot_ready(&t->ps, 0, &s)) save_snapshot(t, &s);
        return;
    }
    if (hep_checkpoint_due(&t->sched, t->done) || t->checkpoint_now)
        save(t, t->done, t->params, t->adam.m, t->adam.v, t->adam.step);
}

/* -------------------------------------------------------------- evaluate */

/* Evaluation steps in (step, done]: epoch ends and validation_interval.
 * With parameter servers the global step may jump over several; every
 * worker then takes part in as many metric reductions as it crossed, so
 * that all workers make the same collective calls. */
static int evaluations_due(const trainer *t, int *epoch_end)
{
    int n = 0;
    for (long s = t->step + 1; s <= t->done; s++) {
        int end = s % t->sched.steps_per_epoch == 0;
        if (end || (t->cfg->validation_interval > 0 && s % t->cfg->validation_interval == 0)) {
            n++;
            *epoch_end = end;
        }
    }
    return n;
}

/* Batch norm's running averages are each worker's own (from its batches);
 * with allreduce every worker evaluates with worker 0's, the ones its
 * checkpoints hold (PyTorch DDP's default). With parameter servers workers
 * reach evaluations at different times, so each uses its own. */
static void share_running_averages(trainer *t)
{
    if (t->info->num_state == 0 || t->run->size < 2 || t->run->num_ps > 0) return;
    if (MPI_Bcast(hep_model_state(t->m), (int)t->info->num_state, MPI_FLOAT, 0, t->run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Bcast of the batch-norm running averages failed");
}

/* Whether any rank's scoring ended early on a stop signal. A signal
 * reaches every rank of a SLURM job at once; a rank it missed finishes
 * its share first. */
static int any_rank_stopped_scoring(const trainer *t, int stopped_here)
{
    int stopped = stopped_here;
    if (t->run->size > 1 &&
        MPI_Allreduce(&stopped_here, &stopped, 1, MPI_INT, MPI_MAX, t->run->comm) != MPI_SUCCESS)
        hep_fatal("MPI_Allreduce of the evaluation's stop flag failed");
    return stopped;
}

/* A stop signal during an evaluation: the run ends at this step, as it
 * would after the next step, without waiting for the validation set (at
 * hep224's inference speed, minutes on a node, past SLURM's grace between
 * SIGTERM and SIGKILL). Its checkpoint, unless written before the
 * evaluation, and no evaluation lines for the step. With parameter servers
 * the checkpoint is theirs to send: the next exchange asks them to stop
 * (the signal is still noted), they end the run within two steps, and
 * no evaluation due before then runs. */
static void stop_in_evaluation(trainer *t)
{
    note_stop_signal(t);
    hep_log_line(&t->log, "%.3f EVALUATION STOPPED: step %ld (%ld), by %s before the end of the validation set; "
                 "no figures\n", unix_time(), t->done, t->planned_total, stopped_by(t));
    t->evaluation_stopped = 1;
    if (t->run->num_ps > 0) return;
    if (t->run->rank == 0 && t->saved_step != t->done) save(t, t->done, t->params, t->adam.m, t->adam.v, t->adam.step);
    t->sched.total_steps = t->done;
}

static void evaluate(trainer *t)
{
    int epoch_end = 0, n = t->nval > 0 ? evaluations_due(t, &epoch_end) : 0;
    if (n == 0 || t->evaluation_stopped) return;
    const double started = hep_wall_seconds();
    share_running_averages(t);
    hep_eval_set set = { t->val_files, t->nval, t->channel_max, t->cfg->validation_batch_size,
                         t->cfg->validation_max_steps, 1 };
    hep_samples samples;
    int stopped = hep_samples_score(t->m, t->run->batch, &set, t->run, t->info,
                                    !strcmp(t->cfg->loss_weight, "normweight"), &samples);
    hep_metrics e;
    float *records = NULL;
    /* the ranks agree on a stop before each metric reduction: a worker
     * that crossed several evaluation steps at once (parameter servers)
     * meets the others' evaluations one reduction at a time */
    for (int i = 0; i < n; i++) {
        if (any_rank_stopped_scoring(t, stopped)) {
            hep_samples_free(&samples);
            stop_in_evaluation(t);
            return;
        }
        hep_metrics_compute(t->run->comm, &samples, t->info->num_classes, &e, i == n - 1 ? &records : NULL);
    }
    hep_samples_free(&samples);
    hep_print_evaluation(&t->log, "val", epoch_end ? "EPOCH SUMMARY" : "REPORT", t->done, t->planned_total, &e);
    static const char *const tags[] = { "validation/loss", "validation/accuracy", "validation/auc" };
    const double values[] = { e.loss, e.accuracy, e.auc };
    hep_summary_scalars(&t->summary, t->done, 3, tags, values);
    if (t->run->rank == 0) {
        hep_cuts cuts;
        char why[256];
        int have_cuts = hep_cuts_compare(records, e.n, t->info->num_classes, &cuts, why, sizeof why) == 0;
        hep_curve_add(&t->val_curve, (double)t->done, e.loss);
        hep_lock_check(&t->lock, "the plots", t->done);
        hep_write_plots(t->cfg->outputpath, &t->train_curve, &t->val_curve, records, e.n, t->info->num_classes, e.auc,
                        have_cuts ? &cuts : NULL);
    }
    free(records);
    /* the next report's sec/batch counts its training steps only: the
     * steps of its window before this evaluation too */
    t->t_report += hep_wall_seconds() - started;
}

/* ---------------------------------------------------------------- finish */

/* With parameter servers: goodbye, then rank 0 writes a pending scheduled
 * checkpoint and the final state. */
static void finish_servers(trainer *t)
{
    hep_ps_worker_end(&t->ps);
    if (t->run->rank != 0) return;
    hep_ps_snapshot s;
    if (hep_ps_snapshot_ready(&t->ps, 1, &s)) save_snapshot(t, &s);
    if (hep_ps_final_snapshot(&t->ps, &s)) {
        s.consistent = 1;   /* each server's final shard, whatever its step */
        save(t, s.step, s.params, s.m, s.v, s.adam_step);
    }
}

/* The line for a stop at a checkpoint, and for the run's last
 * evaluation cut short (its steps all done), the record that has the same
 * command evaluate it. */
static void print_stop(const trainer *t, int last_evaluation_stopped)
{
    char path[4400];
    hep_checkpoint_path(t->cfg->outputpath, t->sched.total_steps, path, sizeof path);
    if (!last_evaluation_stopped) {
        printf("hepcnn: stopped by %s after step %ld of %ld; checkpoint %s written; run the same command "
               "again to continue (exit status %d)\n", stopped_by(t), t->sched.total_steps, t->planned_total, path,
               HEP_EXIT_STOPPED);
        return;
    }
    hep_stopped_evaluation_write(t->cfg->outputpath, t->sched.total_steps);
    printf("hepcnn: stopped by %s: all %ld steps are done and checkpoint %s written, but the evaluation of the last "
           "was cut short; run the same command again to evaluate it (exit status %d)\n", stopped_by(t),
           t->planned_total, path, HEP_EXIT_STOPPED);
}

static int finish(trainer *t)
{
    const hep_run *run = t->run;
    if (run->num_ps > 0) finish_servers(t);
    const int last_evaluation_stopped = t->evaluation_stopped && t->sched.total_steps >= t->planned_total;
    const int stopped = t->sched.total_steps < t->planned_total || last_evaluation_stopped;
    if (run->rank == 0) {
        if (run->size > 1 && run->num_ps == 0)
            printf("hepcnn: gradient allreduce (%s): %.2f s waited in all\n",
                   t->cfg->overlap_allreduce ? "overlapped with backward" : "after backward",
                   t->allreduce.wait_seconds);
        if (t->first_step >= t->planned_total && !t->evaluate_only)
            printf("hepcnn: the checkpoint is at step %ld: the run's %ld steps are already done\n", t->first_step,
                   t->planned_total);
        if (t->batches) hep_batches_report(t->batches);
        if (t->train_curve.n > 0 && t->nval == 0)
            hep_write_plots(t->cfg->outputpath, &t->train_curve, &t->val_curve, NULL, 0, t->info->num_classes, 0, NULL);
        if (t->tl.f) close_timeline(t, "(the run ended early)");
        if (stopped) print_stop(t, last_evaluation_stopped);
        fflush(stdout);
    }
    hep_trainer_free(t);
    return stopped ? HEP_EXIT_STOPPED : 0;
}

/* The evaluation of the checkpoint's step, the run's last, that a stop
 * cut short; the record of it goes once it has run. */
static void evaluate_stopped_last(trainer *t)
{
    t->step = t->first_step - 1;   /* evaluations_due looks at (step, done] */
    t->done = t->first_step;
    evaluate(t);
    t->step = t->first_step;
    if (!t->evaluation_stopped && t->run->rank == 0) hep_stopped_evaluation_remove(t->cfg->outputpath);
}

int hep_train(const hep_config *cfg, const char *config_path, const hep_run *run)
{
    trainer t = { .cfg = cfg, .config_path = config_path, .run = run, .info = hep_model_info_get() };
    hep_trainer_setup(&t);
    if (t.evaluate_only) evaluate_stopped_last(&t);
    while (t.step < t.sched.total_steps) {
        train_step(&t);
        report(&t);
        checkpoint(&t);   /* before evaluation: a failure there loses nothing */
        evaluate(&t);
        t.step = t.done;
    }
    return finish(&t);
}
