/* A parameter server (see ps.h). Servers always post a receive, so a
 * worker's blocking send never waits long; they answer with non-blocking
 * sends from per-worker buffers, so a slow worker never stalls a server;
 * and they never wait on a snapshot during the run. */
#include <string.h>

#include <omp.h>

#include "denormals.h"
#include "ps_wire.h"
#include "signals.h"

typedef struct {
    hep_ps_layout l;
    int k;
    size_t begin, len;
    const hep_model_info *info;
    const hep_lr_schedule *lr;
    hep_schedule sched;
    float *params, *sum;
    hep_adam adam;
    long step, initial_step, initial_total;
    long event, acked, event_sent;   /* scheduled checkpoint; newest written; newest snapshot sent */
    int stop_asked, stop_decided;
    char *in, **out, *snap;
    MPI_Request *reply, snap_req;
    int *waiting, nwaiting, count, byes, bye0;
    double loss_sum, last_loss;
    ps_header worker0_bye;
} server;

static void receive_initial(server *s, const hep_config *cfg)
{
    char *msg = ps_message(3 * s->len);
    ps_check(MPI_Recv(msg, (int)ps_bytes(3 * s->len), MPI_BYTE, 0, TAG_INIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
             "receiving the initial shard");
    ps_header h;
    memcpy(&h, msg, sizeof h);
    const float *body = (const float *)(msg + sizeof h);
    memcpy(s->params + s->begin, body, sizeof(float) * s->len);
    memcpy(s->adam.m + s->begin, body + s->len, sizeof(float) * s->len);
    memcpy(s->adam.v + s->begin, body + 2 * s->len, sizeof(float) * s->len);
    s->adam.step = (long)h.adam_step;
    s->step = s->initial_step = (long)h.step;
    /* the workers decide these from the data */
    s->sched = (hep_schedule){ .steps_per_epoch = (long)h.steps_per_epoch, .total_steps = (long)h.total,
                               .save_interval = cfg->save_interval, .checkpoint_steps = cfg->checkpoint_steps };
    s->initial_total = (long)h.total;
    free(msg);
}

/* What every message tells: the run's end, the event, requests, acks. */
static void learn(server *s, const ps_header *h, int from)
{
    if (h->total < s->sched.total_steps) s->sched.total_steps = (long)h->total;
    if (h->event > s->event) s->event = (long)h->event;
    if (h->requests & HEP_PS_REQ_STOP) s->stop_asked = 1;
    if (from == 0 && h->acked > s->acked) s->acked = (long)h->acked;
}

/* Answer worker w with the current shard and step. stop_now: its gradient
 * can never complete a step, so tell it the run ends here. */
static void answer(server *s, int w, int stop_now)
{
    ps_check(MPI_Wait(&s->reply[w], MPI_STATUS_IGNORE), "a reply");
    ps_header r = { .step = s->step, .adam_step = s->adam.step, .total = stop_now ? s->step : s->sched.total_steps,
                    .event = s->event, .requests = s->stop_asked ? HEP_PS_REQ_STOP : 0, .loss = s->last_loss };
    memcpy(s->out[w], &r, sizeof r);
    memcpy(s->out[w] + sizeof r, s->params + s->begin, sizeof(float) * s->len);
    ps_check(MPI_Isend(s->out[w], (int)ps_bytes(s->len), MPI_BYTE, w, TAG_REPLY, MPI_COMM_WORLD, &s->reply[w]),
             "a reply");
}

static void update(server *s, float scale)
{
    float *g = s->sum + s->begin;
    if (scale != 1.0f)
        for (size_t i = 0; i < s->len; i++) g[i] *= scale;
    s->adam.lr = hep_lr_at(s->lr, s->step);   /* the global step before this update, as the workers key it */
    hep_adam_update_range(&s->adam, s->info, s->params, s->sum, s->begin, s->begin + s->len);
    memset(g, 0, sizeof(float) * s->len);
    s->step++;
}

static void gradient(server *s, int w, const ps_header *h, const float *g)
{
    if (s->step >= s->sched.total_steps || (s->l.sync && h->step < s->step)) {
        answer(s, w, 0);            /* run over, or a late gradient: dropped */
        return;
    }
    if (!s->l.sync) {               /* async: apply on arrival */
        memcpy(s->sum + s->begin, g, sizeof(float) * s->len);
        s->last_loss = h->loss;
        update(s, 1.0f);
        answer(s, w, 0);
        return;
    }
    float *sum = s->sum + s->begin;
    for (size_t i = 0; i < s->len; i++) sum[i] += g[i];
    s->loss_sum += h->loss;
    s->waiting[s->nwaiting++] = w;
    if (++s->count < s->l.needed) return;
    s->last_loss = s->loss_sum / s->count;
    update(s, 1.0f / s->count);
    s->loss_sum = 0;
    s->count = 0;
    for (int i = 0; i < s->nwaiting; i++) answer(s, s->waiting[i], 0);
    s->nwaiting = 0;
}

/* Server 0 decides the stop step and schedules the checkpoint events, two
 * steps ahead of its own: no server can have passed them when it learns. */
static void schedule(server *s, int checkpoint_asked)
{
    if (s->k != 0) return;
    if (s->stop_asked && !s->stop_decided) {
        s->stop_decided = 1;
        if (s->step + 2 < s->sched.total_steps) s->sched.total_steps = s->step + 2;
    }
    if (s->event > s->acked || s->bye0) return;   /* one event in flight at a time */
    long next = checkpoint_asked ? s->step + 2 : hep_next_checkpoint(&s->sched, s->step + 1);
    if (next > s->event && next < s->sched.total_steps) s->event = next;
}

/* The snapshot of the event, once this server reaches its step (or at
 * once, labelled with the step it is at, when it learned of it late). */
static void send_snapshot(server *s, int tag)
{
    ps_check(MPI_Wait(&s->snap_req, MPI_STATUS_IGNORE), "a snapshot");
    ps_header r = { .step = s->step, .adam_step = s->adam.step, .total = s->sched.total_steps, .event = s->event };
    memcpy(s->snap, &r, sizeof r);
    float *body = (float *)(s->snap + sizeof r);
    memcpy(body, s->params + s->begin, sizeof(float) * s->len);
    memcpy(body + s->len, s->adam.m + s->begin, sizeof(float) * s->len);
    memcpy(body + 2 * s->len, s->adam.v + s->begin, sizeof(float) * s->len);
    ps_check(MPI_Isend(s->snap, (int)ps_bytes(3 * s->len), MPI_BYTE, 0, tag, MPI_COMM_WORLD, &s->snap_req),
             "a snapshot");
}

static void maybe_snapshot(server *s)
{
    if (s->event > s->event_sent && s->step >= s->event) {
        send_snapshot(s, TAG_SNAPSHOT);
        s->event_sent = s->event;
    }
}

/* One message from any worker. */
static void serve_one(server *s)
{
    MPI_Status st;
    ps_check(MPI_Recv(s->in, (int)ps_bytes(s->len), MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st),
             "receiving from a worker");
    const int w = st.MPI_SOURCE;
    ps_header h;
    memcpy(&h, s->in, sizeof h);
    learn(s, &h, w);
    if (hep_stop_signal()) s->stop_asked = 1;   /* relayed to server 0 through the workers */
    if (st.MPI_TAG == TAG_BYE) {
        s->byes++;
        if (w == 0) { s->bye0 = 1; s->worker0_bye = h; }
    } else if (st.MPI_TAG == TAG_GRAD) {
        gradient(s, w, &h, (const float *)(s->in + sizeof h));
    } else {
        hep_fatal("parameter server %d: unexpected message (tag %d) from rank %d", s->k, st.MPI_TAG, w);
    }
    /* the workers still waiting for this sync step are all that is left: it can never complete */
    if (s->nwaiting > 0 && s->byes + s->nwaiting == s->l.workers) {
        for (int i = 0; i < s->nwaiting; i++) answer(s, s->waiting[i], 1);
        s->nwaiting = s->count = 0;
        memset(s->sum + s->begin, 0, sizeof(float) * s->len);
        s->loss_sum = 0;
    }
    schedule(s, st.MPI_TAG == TAG_GRAD && (h.requests & HEP_PS_REQ_CHECKPOINT));
    maybe_snapshot(s);
}

/* After every goodbye: the event snapshot worker 0 still waits for, then
 * the final state when this run trained. */
static void finish(server *s)
{
    for (int w = 0; w < s->l.workers; w++) ps_check(MPI_Wait(&s->reply[w], MPI_STATUS_IGNORE), "a reply");
    const ps_header *bye = &s->worker0_bye;
    if (bye->event > bye->acked && s->event_sent < bye->event) {
        s->event = (long)bye->event;
        send_snapshot(s, TAG_SNAPSHOT);
    }
    if (s->initial_step < s->initial_total) send_snapshot(s, TAG_FINAL);
    ps_check(MPI_Wait(&s->snap_req, MPI_STATUS_IGNORE), "a snapshot");
}

void hep_ps_serve(const hep_ps_layout *layout, int k, const hep_config *cfg, const hep_model_info *info)
{
    server s = { .l = *layout, .k = k, .info = info, .lr = &cfg->lr, .snap_req = MPI_REQUEST_NULL };
    hep_flush_denormals_in_team(omp_get_max_threads());   /* its Adam, as the workers' models */
    s.begin = hep_ps_shard_begin(layout, k);
    s.len = ps_shard_len(layout, k);
    s.params = hep_xmalloc(sizeof(float) * layout->params, "server parameters");
    s.sum = hep_xmalloc(sizeof(float) * layout->params, "server gradient sum");
    memset(s.sum, 0, sizeof(float) * layout->params);
    hep_adam_init(&s.adam, layout->params, cfg->learning_rate, cfg->weight_decay);
    receive_initial(&s, cfg);
    hep_signals_install();
    s.in = ps_message(s.len);
    s.snap = ps_message(3 * s.len);
    s.out = hep_xmalloc(sizeof(char *) * layout->workers, "reply buffers");
    s.reply = hep_xmalloc(sizeof(MPI_Request) * layout->workers, "reply requests");
    s.waiting = hep_xmalloc(sizeof(int) * layout->workers, "waiting workers");
    for (int w = 0; w < layout->workers; w++) { s.out[w] = ps_message(s.len); s.reply[w] = MPI_REQUEST_NULL; }
    schedule(&s, 0);
    while (s.byes < layout->workers) serve_one(&s);
    finish(&s);
    for (int w = 0; w < layout->workers; w++) free(s.out[w]);
    free(s.snap); free(s.out); free(s.reply); free(s.waiting); free(s.in); free(s.params); free(s.sum);
    hep_adam_free(&s.adam);
}
