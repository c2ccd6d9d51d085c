/* A worker's side of the parameter-server protocol (see ps.h). */
#include <stdio.h>
#include <string.h>

#include "ps_wire.h"

static ps_header my_header(const hep_ps_worker *w, long step)
{
    return (ps_header){ .step = step, .total = w->total, .event = w->event, .acked = w->acked,
                        .requests = w->requests };
}

void hep_ps_worker_start(hep_ps_worker *w, const hep_ps_layout *l, int rank, const hep_schedule *sched,
                         long first_step, const float *params, const hep_adam *adam)
{
    memset(w, 0, sizeof *w);
    w->l = *l;
    w->rank = rank;
    w->first_step = first_step;
    w->total = w->planned_total = sched->total_steps;
    size_t most = 0;
    for (int k = 0; k < l->servers; k++) most = ps_shard_len(l, k) > most ? ps_shard_len(l, k) : most;
    w->step_msg = ps_message(most);
    if (rank != 0) return;
    w->msg = hep_xmalloc(sizeof(char *) * l->servers, "snapshot buffers");
    w->req = hep_xmalloc(sizeof(MPI_Request) * l->servers, "snapshot requests");
    w->snap = hep_xmalloc(sizeof(float) * 3 * l->params, "checkpoint snapshots");
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = ps_shard_len(l, k);
        w->msg[k] = ps_message(3 * len);
        w->req[k] = MPI_REQUEST_NULL;
        ps_header h = my_header(w, first_step);
        h.adam_step = adam->step;
        h.steps_per_epoch = sched->steps_per_epoch;
        memcpy(w->msg[k], &h, sizeof h);
        float *body = (float *)(w->msg[k] + sizeof h);
        memcpy(body, params + begin, sizeof(float) * len);
        memcpy(body + len, adam->m + begin, sizeof(float) * len);
        memcpy(body + 2 * len, adam->v + begin, sizeof(float) * len);
        ps_check(MPI_Send(w->msg[k], (int)ps_bytes(3 * len), MPI_BYTE, hep_ps_server_rank(l, k), TAG_INIT,
                          MPI_COMM_WORLD), "sending the initial shard");
    }
}

long hep_ps_exchange(hep_ps_worker *w, float *params, const float *grads, double *loss, long step)
{
    const hep_ps_layout *l = &w->l;
    char *msg = w->step_msg;
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = ps_shard_len(l, k);
        ps_header h = my_header(w, step);
        h.loss = *loss;
        memcpy(msg, &h, sizeof h);
        memcpy(msg + sizeof h, grads + begin, sizeof(float) * len);
        ps_check(MPI_Send(msg, (int)ps_bytes(len), MPI_BYTE, hep_ps_server_rank(l, k), TAG_GRAD, MPI_COMM_WORLD),
                 "sending a gradient");
    }
    long next = step;
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = ps_shard_len(l, k);
        ps_check(MPI_Recv(msg, (int)ps_bytes(len), MPI_BYTE, hep_ps_server_rank(l, k), TAG_REPLY, MPI_COMM_WORLD,
                          MPI_STATUS_IGNORE), "receiving parameters");
        ps_header r;
        memcpy(&r, msg, sizeof r);
        memcpy(params + begin, msg + sizeof r, sizeof(float) * len);
        if (r.step > next) next = (long)r.step;
        if (r.total < w->total) w->total = (long)r.total;
        if (r.event > w->event) w->event = (long)r.event;
        w->requests |= r.requests & HEP_PS_REQ_STOP;   /* a signalled server's request, on to server 0 */
        if (k == 0) *loss = r.loss;
    }
    if (w->event > w->acked) w->requests &= ~HEP_PS_REQ_CHECKPOINT;   /* the clock's request is met */
    return next;
}

static void post_snapshots(hep_ps_worker *w)
{
    for (int k = 0; k < w->l.servers; k++)
        ps_check(MPI_Irecv(w->msg[k], (int)ps_bytes(3 * ps_shard_len(&w->l, k)), MPI_BYTE,
                           hep_ps_server_rank(&w->l, k), TAG_SNAPSHOT, MPI_COMM_WORLD, &w->req[k]),
                 "receiving a snapshot");
    w->posted = 1;
}

/* The shards of the received messages into w->snap; returns whether every
 * shard's step is `step` (at least `step` when `at_least`). */
static int assemble(hep_ps_worker *w, long step, int at_least, hep_ps_snapshot *out)
{
    const size_t P = w->l.params;
    int consistent = 1;
    for (int k = 0; k < w->l.servers; k++) {
        const size_t begin = hep_ps_shard_begin(&w->l, k), len = ps_shard_len(&w->l, k);
        ps_header h;
        memcpy(&h, w->msg[k], sizeof h);
        const float *body = (const float *)(w->msg[k] + sizeof h);
        for (int a = 0; a < 3; a++) memcpy(w->snap + a * P + begin, body + a * len, sizeof(float) * len);
        consistent &= at_least ? h.step >= step : h.step == step;
        if (k == 0) out->adam_step = (long)h.adam_step;
    }
    out->step = step;
    out->params = w->snap;
    out->m = w->snap + P;
    out->v = w->snap + 2 * P;
    out->consistent = consistent;
    return consistent;
}

long hep_ps_snapshot_ready(hep_ps_worker *w, int wait, hep_ps_snapshot *out)
{
    if (w->rank != 0 || w->event <= w->acked) return 0;
    if (!w->posted) post_snapshots(w);
    int done = 1;
    if (wait) ps_check(MPI_Waitall(w->l.servers, w->req, MPI_STATUSES_IGNORE), "receiving snapshots");
    else ps_check(MPI_Testall(w->l.servers, w->req, &done, MPI_STATUSES_IGNORE), "testing for snapshots");
    if (!done) return 0;
    /* async servers count steps each for themselves: one that learned of
     * the event late snapshots where it is */
    assemble(w, w->event, !w->l.sync, out);
    return w->event;
}

void hep_ps_snapshot_done(hep_ps_worker *w)
{
    w->acked = w->event;
    w->posted = 0;
}

void hep_ps_worker_end(hep_ps_worker *w)
{
    ps_header h = my_header(w, w->total);
    for (int k = 0; k < w->l.servers; k++)
        ps_check(MPI_Send(&h, (int)sizeof h, MPI_BYTE, hep_ps_server_rank(&w->l, k), TAG_BYE, MPI_COMM_WORLD),
                 "saying goodbye to a server");
}

int hep_ps_final_snapshot(hep_ps_worker *w, hep_ps_snapshot *out)
{
    if (w->rank != 0 || w->first_step >= w->planned_total) return 0;
    for (int k = 0; k < w->l.servers; k++)
        ps_check(MPI_Recv(w->msg[k], (int)ps_bytes(3 * ps_shard_len(&w->l, k)), MPI_BYTE,
                          hep_ps_server_rank(&w->l, k), TAG_FINAL, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                 "receiving the final state");
    if (!assemble(w, w->total, 0, out))
        fprintf(stderr, "hepcnn: warning: the parameter servers ended at different steps (hot spares); "
                "the last checkpoint holds each server's final shard\n");
    return 1;
}

void hep_ps_worker_free(hep_ps_worker *w)
{
    free(w->step_msg);
    if (w->rank != 0) return;
    for (int k = 0; k < w->l.servers; k++) free(w->msg[k]);
    free(w->msg);
    free(w->req);
    free(w->snap);
}
