/* The training settings a restart must keep, so that a run never silently
 * continues another run's weights: the seed, learning_rate, weight_decay,
 * dropout_p, optimizer, the global batch (images per step over all
 * workers), the steps per epoch (the data, trainsamples, batch and worker
 * count decide it), the data source (files or --dummy_data) and the loss
 * weighting (loss_weight). The network
 * is checked by the checkpoint loader. Every checkpoint records them; a
 * restart whose settings differ stops and names each difference unless
 * --accept_changed_settings is given. Extending a run (num_epochs) and
 * changing how it is spread (ranks with the same global batch, threads,
 * arch) are not changes of this kind. */
#ifndef HEP_SETTINGS_H
#define HEP_SETTINGS_H

#include <stddef.h>
#include "config.h"

/* malloc'd JSON object. */
char *hep_settings_json(const hep_config *cfg, long global_batch, long steps_per_epoch);

/* Lines "  KEY: A in the checkpoint, B now" for each difference into out;
 * returns how many differ. */
int hep_settings_diff(const char *saved, const char *now, char *out, size_t cap);

#endif
