/* Overlapped gradient allreduce (see dist.h). */
#include "dist.h"

#include "util.h"

static void on_ready(void *ctx, size_t offset, size_t count)
{
    hep_allreduce *a = ctx;
    if (!a->overlap) return;
    if (a->nreq == HEP_MAX_GRAD_RANGES) hep_fatal("internal: more than %d gradient ranges", HEP_MAX_GRAD_RANGES);
    if (MPI_Iallreduce(MPI_IN_PLACE, a->grads + offset, (int)count, MPI_FLOAT, MPI_SUM, a->comm,
                       &a->req[a->nreq++]) != MPI_SUCCESS)
        hep_fatal("MPI_Iallreduce of %zu gradients failed", count);
}

/* MPI moves a non-blocking collective forward only inside MPI calls: test
 * now and then while the convolutions run. */
static void on_progress(void *ctx)
{
    hep_allreduce *a = ctx;
    int done;
    if (a->nreq > 0) MPI_Testall(a->nreq, a->req, &done, MPI_STATUSES_IGNORE);
}

void hep_allreduce_init(hep_allreduce *a, hep_model *m, MPI_Comm comm, int workers, size_t count, int overlap)
{
    a->comm = comm;
    a->workers = workers;
    a->overlap = overlap;
    a->grads = hep_model_grads(m);
    a->count = count;
    a->nreq = 0;
    a->wait_seconds = 0;
    hep_grad_hooks hooks = { on_ready, on_progress, a };
    hep_model_set_grad_hooks(m, &hooks);
}

void hep_allreduce_finish(hep_allreduce *a, double *control, int n, long step)
{
    double t0 = hep_wall_seconds();
    int rc = MPI_SUCCESS;
    if (a->overlap) {
        rc = MPI_Waitall(a->nreq, a->req, MPI_STATUSES_IGNORE);
    } else {
        rc = MPI_Allreduce(MPI_IN_PLACE, a->grads, (int)a->count, MPI_FLOAT, MPI_SUM, a->comm);
    }
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(MPI_IN_PLACE, control, n, MPI_DOUBLE, MPI_SUM, a->comm);
    if (rc != MPI_SUCCESS) hep_fatal("the gradient allreduce failed at step %ld", step);
    a->nreq = 0;
    a->wait_seconds += hep_wall_seconds() - t0;
    const float scale = 1.0f / a->workers;
    float *g = a->grads;
    const long count = (long)a->count;
#pragma omp parallel for simd schedule(static)
    for (long i = 0; i < count; i++) g[i] *= scale;
}
