/* Synchronous data parallelism: every worker's gradient is summed with
 * MPI_Iallreduce, one layer at a time, as soon as the backward pass has
 * finished it (through the model's gradient hooks), so communication
 * overlaps the rest of the backward; hep_allreduce_finish waits for all and
 * averages over the workers before the optimiser runs. */
#ifndef HEP_DIST_H
#define HEP_DIST_H

#include <mpi.h>
#include <stddef.h>
#include <model.h>

enum { HEP_MAX_GRAD_RANGES = 64 };

typedef struct {
    MPI_Comm comm;
    int workers;
    int overlap;            /* 0: one blocking allreduce after backward */
    float *grads;
    size_t count;
    MPI_Request req[HEP_MAX_GRAD_RANGES];
    int nreq;
    double wait_seconds;    /* time spent waiting in finish */
} hep_allreduce;

void hep_allreduce_init(hep_allreduce *a, hep_model *m, MPI_Comm comm, int workers, size_t count, int overlap);
/* After hep_model_backward: completes the reductions, sums control[0..n)
 * over the workers (the loss, and the stop and checkpoint requests, so that
 * every rank takes the same decision at the same step) and scales the
 * gradients by 1/workers. Exits with a message on an MPI error. */
void hep_allreduce_finish(hep_allreduce *a, double *control, int n, long step);

#endif
