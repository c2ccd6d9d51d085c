/* Continuing a run: the newest checkpoint in outputpath/models (or the one
 * --checkpoint_id names), checked against this run's training settings
 * (settings.h) so that a run never silently continues another's weights. */
#ifndef HEP_RESUME_H
#define HEP_RESUME_H

#include <stddef.h>
#include <model.h>
#include "checkpoint.h"
#include "config.h"
#include "optim.h"

/* Loads checkpoint `id`, its path into path; exits on failure, pointing at
 * the previous checkpoint when the newest was picked automatically (the
 * damaged file is left as it is: the user decides what to do with it). */
void hep_load_checkpoint(const hep_config *cfg, long id, hep_model *m, const hep_model_info *info, hep_adam *adam,
                         hep_checkpoint_state *state, char *path, size_t pathlen);

/* The step to continue from, or -1 where there is no checkpoint (a fresh
 * run, whose weights are still to be drawn). Exits naming every
 * difference when the checkpoint's training settings are not `settings`,
 * unless --accept_changed_settings. */
long hep_resume(const hep_config *cfg, hep_model *m, const hep_model_info *info, hep_adam *adam,
                hep_checkpoint_state *state, const char *settings, int rank);

#endif
