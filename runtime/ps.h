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
 *
 * Agreement without a collective (workers never wait for each other):
 * - The run's last step (total) only ever goes down, when a stop is asked
 *   for (a signal on any rank). Server 0 decides it, two steps ahead of its
 *   own, and every message carries the sender's view, so each rank learns
 *   it before it could pass it.
 * - Checkpoints are events: server 0 schedules the next due step (see
 *   schedule.h; or, when worker 0's clock asks, two steps ahead), every
 *   server sends worker 0 a snapshot of its shard (parameters and Adam's
 *   moments) on reaching it, worker 0 receives them without blocking and
 *   writes the checkpoint, and acknowledges it in its next message; only
 *   then is the next event scheduled. So at most one snapshot is in flight
 *   per server and nobody ever waits on one (a due step met while one is in
 *   flight is skipped). The last step's state comes as a final snapshot.
 * - A run ends when every worker has said goodbye; a gradient that can
 *   never complete a sync step (too few workers left) is answered then.
 * So a resubmitted finished run ends at once, and a global step that jumps
 * over several checkpoint or evaluation steps skips nothing it must do. */
#ifndef HEP_PS_H
#define HEP_PS_H

#include <mpi.h>
#include <model.h>
#include "config.h"
#include "optim.h"
#include "schedule.h"

enum { HEP_PS_REQ_STOP = 1, HEP_PS_REQ_CHECKPOINT = 2 };

typedef struct {
    int workers, servers;
    size_t params;
    int sync, needed;            /* gradients averaged per step (sync) */
} hep_ps_layout;

static inline size_t hep_ps_shard_begin(const hep_ps_layout *l, int k) { return l->params * (size_t)k / l->servers; }
static inline int hep_ps_server_rank(const hep_ps_layout *l, int k) { return l->workers + k; }

/* Server k: receives its initial shard from worker 0, serves until every
 * worker has said goodbye. */
void hep_ps_serve(const hep_ps_layout *l, int k, const hep_config *cfg, const hep_model_info *info);

/* The servers' state as worker 0 received it: parameters, Adam's moments
 * (internal order) and Adam's update count, at `step`. */
typedef struct {
    long step, adam_step;
    const float *params, *m, *v;
    int consistent;              /* every shard is of `step` */
} hep_ps_snapshot;

/* A worker's side of the protocol. */
typedef struct {
    hep_ps_layout l;
    int rank;
    long first_step, total;      /* total: the run's last step (a stop lowers it) */
    long planned_total;
    long event, acked;           /* the scheduled checkpoint; worker 0: the newest written */
    int requests;                /* HEP_PS_REQ_* this worker asks for */
    char *step_msg;              /* a gradient out, parameters back: the largest shard */
    /* worker 0: snapshots being received */
    char **msg;                  /* [servers] */
    MPI_Request *req;            /* [servers] */
    int posted;
    float *snap;                 /* [3][params] */
} hep_ps_worker;

/* Worker 0 (rank 0) also sends every server its initial shard, Adam's state
 * and the schedule (steps per epoch, total). */
void hep_ps_worker_start(hep_ps_worker *w, const hep_ps_layout *l, int rank, const hep_schedule *sched,
                         long first_step, const float *params, const hep_adam *adam);
/* Sends this worker's gradient (mean over its batch) and loss for `step`,
 * receives the current parameters; returns the new global step and sets
 * *loss to the mean loss of the gradients that made it. */
long hep_ps_exchange(hep_ps_worker *w, float *params, const float *grads, double *loss, long step);
/* Worker 0: the scheduled checkpoint once every server's snapshot of it
 * has arrived (wait: block until then), else 0. After writing it (or not,
 * when !consistent) call hep_ps_snapshot_done. */
long hep_ps_snapshot_ready(hep_ps_worker *w, int wait, hep_ps_snapshot *out);
void hep_ps_snapshot_done(hep_ps_worker *w);
/* After the last step: goodbye to every server. */
void hep_ps_worker_end(hep_ps_worker *w);
/* Worker 0, after hep_ps_worker_end and any pending snapshot: the final
 * state, when this run trained at all (0 otherwise). */
int hep_ps_final_snapshot(hep_ps_worker *w, hep_ps_snapshot *out);
void hep_ps_worker_free(hep_ps_worker *w);

#endif
