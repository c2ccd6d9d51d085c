/* Checkpoints: outputpath/models/model-<step>.h5, written by rank 0
 * atomically (temporary file, fsync, rename, fsync of the folder), so that a
 * kill at any moment leaves the earlier checkpoints intact and loadable.
 *
 * Contents (format version 1), readable with h5py:
 *   <layer>/weight, <layer>/bias        parameters in PyTorch order
 *                                       (conv [out][in][3][3], dense [out][in])
 *   adam/m/<layer>/..., adam/v/<layer>/...   Adam moments, same order
 *   normalization/channel_max           [C] input divisors
 *   attributes on /: format_version, network, arch, generator_version, step,
 *   epoch, seed (with the step it is the whole RNG state: the generator is
 *   counter-based), adam_step, config (the effective config as JSON). */
#ifndef HEP_CHECKPOINT_H
#define HEP_CHECKPOINT_H

#include <model.h>
#include "optim.h"

#define HEP_CHECKPOINT_FORMAT 1

typedef struct {
    long step;
    int epoch;
    unsigned long long seed;
    float channel_max[16];
    int channels;
} hep_checkpoint_state;

/* Rank 0 only: params and Adam's moments (internal order; m converts them)
 * as of state->step. Exits with a message on failure (the previous
 * checkpoints stay as they were). */
void hep_checkpoint_save(const char *outputpath, const hep_model *m, const hep_model_info *info, const float *params,
                         const float *adam_m, const float *adam_v, long adam_step,
                         const hep_checkpoint_state *state, const char *config_json);

/* Highest step with a complete checkpoint in outputpath/models, or -1. */
long hep_checkpoint_latest(const char *outputpath);
/* The newest complete checkpoint's step below `limit`, or -1. */
long hep_checkpoint_before(const char *outputpath, long limit);

/* Loads parameters (and Adam's state when adam is not NULL) into the model.
 * Returns 0, or -1 with err naming the file and what is wrong. */
int hep_checkpoint_load(const char *path, hep_model *m, const hep_model_info *info, hep_adam *adam,
                        hep_checkpoint_state *state, char *err, size_t errlen);

void hep_checkpoint_path(const char *outputpath, long step, char *path, size_t len);

#endif
