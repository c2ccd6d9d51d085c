/* The parameter-server messages (see ps.h): raw bytes, a header and then
 * the shard's floats. Private to ps_server.c and ps_worker.c. */
#ifndef HEP_PS_WIRE_H
#define HEP_PS_WIRE_H

#include <stdint.h>
#include <stdlib.h>
#include "ps.h"
#include "util.h"

enum {
    TAG_INIT = 11,      /* worker 0 -> server: shard, Adam's moments, schedule */
    TAG_GRAD = 12,      /* worker -> server: gradient shard */
    TAG_REPLY = 13,     /* server -> worker: parameter shard */
    TAG_SNAPSHOT = 14,  /* server -> worker 0: shard, moments at a checkpoint event */
    TAG_BYE = 15,       /* worker -> server: no more gradients */
    TAG_FINAL = 16,     /* server -> worker 0: shard, moments after the last step */
};

typedef struct {
    int64_t step;            /* GRAD: the step it was computed at; else the sender's step */
    int64_t adam_step;       /* Adam's update count (INIT, REPLY, snapshots) */
    int64_t total;           /* the run's last step as the sender knows it */
    int64_t steps_per_epoch; /* INIT */
    int64_t event;           /* the checkpoint event as the sender knows it (0: none) */
    int64_t acked;           /* worker 0: the newest event checkpoint written */
    int32_t requests;        /* HEP_PS_REQ_*: asked for by the sender (or relayed) */
    int32_t unused;
    double loss;
} ps_header;

static inline size_t ps_shard_len(const hep_ps_layout *l, int k)
{
    return hep_ps_shard_begin(l, k + 1) - hep_ps_shard_begin(l, k);
}

static inline size_t ps_bytes(size_t floats) { return sizeof(ps_header) + sizeof(float) * floats; }

static inline char *ps_message(size_t floats)
{
    return hep_xmalloc(ps_bytes(floats), "a parameter-server message");
}

static inline void ps_check(int rc, const char *what)
{
    if (rc != MPI_SUCCESS) hep_fatal("parameter server: %s failed", what);
}

#endif
