/* The training run as a trainer with named phases (train.c runs them):
 *
 *   setup       data files and the steps per epoch, the outputpath lock,
 *               model, resume, normalisation, batches, communication
 *   step        one batch forward and backward, the gradient exchange (which
 *               is also where the ranks agree on a stop or a checkpoint),
 *               Adam
 *   report      the seed's TRAINING REPORT line every display_interval steps
 *   checkpoint  whatever schedule.h says is due, before any evaluation
 *   evaluate    the validation set at epoch ends and validation_interval
 *               (a stop signal ends it early, with a checkpoint)
 *   finish      the parameter servers' goodbye and final state, the stop
 *               line, the exit status
 *
 * A run whose last evaluation a stop cut short (stopped_evaluation.h) is
 * set up again from its last checkpoint for that evaluation only.
 *
 * Private to train.c and train_setup.c. */
#ifndef HEP_TRAINER_H
#define HEP_TRAINER_H

#include <model.h>
#include "batches.h"
#include "checkpoint.h"
#include "config.h"
#include "dist.h"
#include "h5files.h"
#include "lock.h"
#include "log.h"
#include "optim.h"
#include "plots.h"
#include "ps.h"
#include "schedule.h"
#include "summary.h"
#include "timeline.h"
#include "train.h"

typedef struct {
    const hep_config *cfg;
    const char *config_path;
    const hep_run *run;
    const hep_model_info *info;
    hep_schedule sched;            /* total_steps: the run's last step (a stop lowers it) */
    long planned_total;
    hep_h5file *train_files, *val_files;
    int ntrain, nval;
    float *channel_max;            /* [input channels] */
    hep_model *m;
    float *params, *grads;
    hep_adam adam;
    hep_checkpoint_state ckpt;     /* seed, channel maxima, training settings */
    char *config_json;
    hep_batch_source *batches;
    hep_allreduce allreduce;
    hep_ps_worker ps;
    hep_lock lock;
    hep_log log;
    hep_summary summary;           /* TensorBoard (create_summary, rank 0) */
    hep_curve train_curve, val_curve;
    hep_timeline tl;
    hep_layer_time *layer_times;
    long first_step, step, done;   /* done: the global step after the current step */
    double loss, loss_sum, t_report, last_checkpoint;
    double lr, lr_sum;             /* this step's learning rate; summed for the report */
    int in_report;
    int stop_signal;               /* the signal rank 0 received, 0: none (or another rank's) */
    int checkpoint_now;            /* the clock asked for one at `done` */
    long saved_step;               /* the step of the last checkpoint this run wrote or resumed from (rank 0) */
    int evaluation_stopped;        /* a stop signal ended an evaluation: no more of them this run */
    int evaluate_only;             /* this run starts where a stop cut the last evaluation short: only that */
    int progress;                  /* a progress line on a terminal (rank 0) */
    int slow_ms;                   /* test hook: HEPCNN_TEST_SLOW_WORKER */
} trainer;

void hep_trainer_setup(trainer *t);
void hep_trainer_free(trainer *t);

#endif
