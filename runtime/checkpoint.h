/* Checkpoints: outputpath/models/model-<step>.h5, written by rank 0
 * atomically (temporary file, fsync, rename, fsync of the folder), so that a
 * kill at any moment leaves the earlier checkpoints intact and loadable.
 *
 * Contents (format version 4; version 3, whose digest leaves out the layer
 * table, versions 2 and 1, without the digests, and version 1 without
 * `settings`, are still read), readable with h5py:
 *   <layer>/weight, <layer>/bias        parameters in PyTorch order
 *                                       (conv [out][in][3][3], dense [out][in];
 *                                       batch norm: BatchNorm2d's weight, bias)
 *   <bn>/running_mean, <bn>/running_var  batch norm's running averages (state)
 *   adam/m/<layer>/..., adam/v/<layer>/...   Adam moments, same order
 *   normalization/channel_max           [C] input divisors
 *   attributes on /: format_version, network, arch, generator_version, step,
 *   epoch, seed (with the step it is the whole RNG state: the generator is
 *   counter-based), adam_step, config (the effective config as JSON),
 *   settings (the training settings a restart must keep, as JSON: see
 *   settings.h), network_layers (the layer table: network_json.h; read back
 *   by hepcnn-export, and by hepcnn only into the digest), digest and
 *   adam_digest (64-bit digests of what a load uses, digest.h: the
 *   parameters, state, channel_max, step, epoch, seed, settings and layer
 *   table; Adam's moments and step).
 *
 * Mid-epoch checkpoints (by checkpoint_steps, checkpoint_minutes or a
 * signal) are kept to the newest checkpoint_keep; epoch ends' and the last
 * step's are always kept. */
#ifndef HEP_CHECKPOINT_H
#define HEP_CHECKPOINT_H

#include <model.h>
#include "lock.h"
#include "optim.h"

#define HEP_CHECKPOINT_FORMAT 4

typedef struct {
    long step;
    int epoch;
    unsigned long long seed;
    float *channel_max;        /* [channels], the caller's buffer */
    int channels;
    char *settings;            /* JSON; load: malloc'd (NULL from a version 1 file) */
    const float *model_state;  /* save: [info->num_state] (batch norm's running averages) */
} hep_checkpoint_state;

/* About how many bytes a checkpoint of the network takes (with Adam's
 * moments: three times the parameters). */
double hep_checkpoint_bytes(const hep_model_info *info, int with_adam);

/* Rank 0 only: params and Adam's moments (internal order; m converts them)
 * as of state->step. Exits with a message on failure (the previous
 * checkpoints stay as they were); a write the file system fails with room
 * left is tried again first. `lock` (the outputpath's, or NULL) is checked
 * when a write fails, so that an outputpath moved or removed meanwhile is
 * said as such. */
void hep_checkpoint_save(const char *outputpath, const hep_model *m, const hep_model_info *info, const float *params,
                         const float *adam_m, const float *adam_v, long adam_step,
                         const hep_checkpoint_state *state, const char *config_json,
                         const hep_lock *lock);

/* Removes mid-epoch checkpoints (steps not multiples of steps_per_epoch)
 * older than the newest `keep` of them. */
void hep_checkpoint_prune(const char *outputpath, long steps_per_epoch, int keep);

/* Highest step with a complete checkpoint in outputpath/models, or -1. */
long hep_checkpoint_latest(const char *outputpath);
/* The newest complete checkpoint's step below `limit`, or -1. */
long hep_checkpoint_before(const char *outputpath, long limit);

/* Loads parameters (and Adam's state when adam is not NULL) into the model.
 * Returns 0, or -1 with err naming the file and what is wrong, or
 * HEP_CHECKPOINT_FOREIGN with err for a whole checkpoint that is not this
 * binary's (another network's, or a newer hepcnn's format): not damaged,
 * and the checkpoints before it are no better. */
#define HEP_CHECKPOINT_FOREIGN (-2)
/* ... or HEP_CHECKPOINT_LOCKED with err for one that another program holds
 * locked (runtime/h5open.h): not damaged either. */
#define HEP_CHECKPOINT_LOCKED (-3)
/* ... or HEP_CHECKPOINT_FILE_SYSTEM with err for one whose reads the file
 * system failed, tried again at hep_wait_to_retry's waits (util.h): not
 * damaged either. */
#define HEP_CHECKPOINT_FILE_SYSTEM (-4)
int hep_checkpoint_load(const char *path, hep_model *m, const hep_model_info *info, hep_adam *adam,
                        hep_checkpoint_state *state, char *err, size_t errlen);

void hep_checkpoint_path(const char *outputpath, long step, char *path, size_t len);

#endif
