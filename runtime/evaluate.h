/* Evaluation: the validation set during training (the seed's EVALUATION
 * REPORT and EPOCH SUMMARY lines) and --mode=test (a checkpoint on the test
 * files, the seed's inference script: EVALUATION SUMMARY lines and
 * outputpath/predictions-test.h5). */
#ifndef HEP_EVALUATE_H
#define HEP_EVALUATE_H

#include <model.h>
#include "config.h"
#include "h5files.h"
#include "log.h"
#include "metrics.h"
#include "train.h"

typedef struct {
    hep_h5file *files;
    int nfiles;
    const float *channel_max;
    int batch, max_steps;      /* max_steps <= 0: every batch */
    int stoppable;             /* a stop signal (signals.h) ends the scoring before the next batch */
} hep_eval_set;

/* This rank's samples of the set (up to max_steps batches), scored; free
 * with hep_samples_free. The loss uses normweight only with loss_weight
 * "normweight" (as the training loss); otherwise its weights are 1.
 * Returns 1 when a stop signal ended it early (`stoppable`), else 0. */
int hep_samples_score(hep_model *m, int model_batch, const hep_eval_set *set, const hep_run *run,
                      const hep_model_info *info, int loss_by_normweight, hep_samples *out);
void hep_samples_free(hep_samples *s);

/* The seed's three EVALUATION lines (and per-class AUCs) and a metrics
 * record. */
void hep_print_evaluation(hep_log *log, const char *set, const char *what, long step, long last,
                          const hep_metrics *e);

/* Every file of one kind ("train", "val", "test") in inputpath, checked;
 * exits with the file's error (an inputpath that cannot be listed after
 * `source`, where its value came from: hep_config_source). Returns the
 * count. */
int hep_load_files(const char *inputpath, const char *source, const char *kind, const hep_model_info *info,
                   hep_h5file **out);

/* --mode=test. */
int hep_test(const hep_config *cfg, const char *config_path, const hep_run *run);

#endif
