/* Parameter-server mode (--num_ps=N >= 1), the seed's TensorFlow layout:
 * the last N ranks hold the parameters and Adam's state, each a contiguous
 * shard; workers send gradients and receive parameters.
 *
 * mode sync: a server averages, for each global step, the first
 *   num_workers - num_hot_spares gradients of that step to arrive and
 *   updates its shard; a late gradient (an older step) is dropped, and its
 *   worker gets the current parameters and step and continues from there
 *   (as TensorFlow's SyncReplicasOptimizer).
 * mode async: a server applies every gradient on arrival and answers its
 *   worker with the updated shard.
 * A run ends when the global step reaches the total. Checkpoints: at each
 * checkpoint step the servers send worker 0 a snapshot of their shards
 * (parameters and Adam moments), which it writes in the usual format. */
#ifndef HEP_PS_H
#define HEP_PS_H

#include <mpi.h>
#include <model.h>
#include "config.h"
#include "optim.h"

typedef struct {
    int workers, servers;
    size_t params;
    int sync, needed;            /* gradients averaged per step (sync) */
    long total_steps, steps_per_epoch;
    int save_interval;
} hep_ps_layout;

static inline size_t hep_ps_shard_begin(const hep_ps_layout *l, int k) { return l->params * (size_t)k / l->servers; }
static inline int hep_ps_server_rank(const hep_ps_layout *l, int k) { return l->workers + k; }
/* Is `step` one where a checkpoint is written (an epoch end due by
 * save_interval, or the last step)? */
int hep_ps_checkpoint_due(const hep_ps_layout *l, long step);

/* Server k's loop: receives its initial shard from worker 0, serves until
 * every worker has been told the run is over. */
void hep_ps_serve(const hep_ps_layout *l, int k, const hep_config *cfg, const hep_model_info *info);

/* Worker 0, before the first step: every server's initial shard (and
 * Adam's state and update count when resuming), and the starting step. */
void hep_ps_send_initial(const hep_ps_layout *l, const float *params, const hep_adam *adam, long step);

/* Worker: sends its gradient (mean over its batch) and loss for `step`,
 * receives the current parameters; returns the new global step and sets
 * *loss to the mean loss of the gradients that made it. */
long hep_ps_exchange(const hep_ps_layout *l, float *params, const float *grads, double *loss, long step);

/* Worker 0, for a checkpoint step: the servers' snapshot into params, m, v;
 * returns Adam's update count. */
long hep_ps_receive_snapshot(const hep_ps_layout *l, float *params, float *m, float *v);

#endif
