/* Parameter servers (see ps.h). Messages are raw bytes: a small header and
 * the shard's floats. Servers always post a receive, so a worker's blocking
 * send never waits long; servers answer with non-blocking sends from
 * per-worker buffers, so a slow worker never stalls a server. */
#include "ps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { TAG_INIT = 11, TAG_GRAD = 12, TAG_REPLY = 13, TAG_SNAPSHOT = 14 };

typedef struct { int64_t step, adam_step, total_steps, steps_per_epoch; double loss; } header;

static size_t shard_len(const hep_ps_layout *l, int k) { return hep_ps_shard_begin(l, k + 1) - hep_ps_shard_begin(l, k); }

int hep_ps_checkpoint_due(const hep_ps_layout *l, long step)
{
    if (step <= 0) return 0;
    if (step == l->total_steps) return 1;
    return step % l->steps_per_epoch == 0 && l->save_interval > 0 &&
           (step / l->steps_per_epoch) % l->save_interval == 0;
}

static void check(int rc, const char *what)
{
    if (rc != MPI_SUCCESS) hep_fatal("parameter server: %s failed", what);
}

static char *pack(size_t floats)
{
    return hep_xmalloc(sizeof(header) + sizeof(float) * floats, "a parameter-server message");
}

void hep_ps_serve(const hep_ps_layout *layout, int k, const hep_config *cfg, const hep_model_info *info)
{
    hep_ps_layout lay = *layout;
    const hep_ps_layout *l = &lay;
    const size_t begin = hep_ps_shard_begin(l, k), len = shard_len(l, k), bytes = sizeof(header) + sizeof(float) * len;
    float *params = hep_xmalloc(sizeof(float) * l->params, "server parameters");
    float *sum = hep_xmalloc(sizeof(float) * l->params, "server gradient sum");
    hep_adam adam;
    hep_adam_init(&adam, l->params, cfg->learning_rate, cfg->weight_decay);
    /* initial shard, moments and step from worker 0 */
    char *msg = pack(3 * len);
    check(MPI_Recv(msg, (int)(sizeof(header) + 3 * len * sizeof(float)), MPI_BYTE, 0, TAG_INIT, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE), "receiving the initial shard");
    header h;
    memcpy(&h, msg, sizeof h);
    const float *body = (const float *)(msg + sizeof h);
    memcpy(params + begin, body, sizeof(float) * len);
    memcpy(adam.m + begin, body + len, sizeof(float) * len);
    memcpy(adam.v + begin, body + 2 * len, sizeof(float) * len);
    adam.step = (long)h.adam_step;
    long step = (long)h.step;
    lay.total_steps = (long)h.total_steps;          /* the workers decide these from the data */
    lay.steps_per_epoch = (long)h.steps_per_epoch;
    free(msg);

    char *in = pack(len);
    char **out = hep_xmalloc(sizeof(char *) * l->workers, "reply buffers");
    MPI_Request *reply = hep_xmalloc(sizeof(MPI_Request) * l->workers, "reply requests");
    int *waiting = hep_xmalloc(sizeof(int) * l->workers, "waiting workers");
    for (int w = 0; w < l->workers; w++) { out[w] = pack(len); reply[w] = MPI_REQUEST_NULL; }
    char *snap = pack(3 * len);
    MPI_Request snap_req = MPI_REQUEST_NULL;
    int nwaiting = 0, finished = 0, count = 0;
    double loss_sum = 0, last_loss = 0;
    memset(sum, 0, sizeof(float) * l->params);

    /* answer worker w with the current shard and step */
    #define ANSWER(w) do {                                                                   \
        check(MPI_Wait(&reply[w], MPI_STATUS_IGNORE), "a reply");                            \
        header r = { step, adam.step, 0, 0, last_loss };                                     \
        memcpy(out[w], &r, sizeof r);                                                        \
        memcpy(out[w] + sizeof r, params + begin, sizeof(float) * len);                      \
        check(MPI_Isend(out[w], (int)bytes, MPI_BYTE, w, TAG_REPLY, MPI_COMM_WORLD, &reply[w]), "a reply"); \
        if (step >= l->total_steps) finished++;                                              \
    } while (0)

    while (finished < l->workers) {
        MPI_Status st;
        check(MPI_Recv(in, (int)bytes, MPI_BYTE, MPI_ANY_SOURCE, TAG_GRAD, MPI_COMM_WORLD, &st), "receiving a gradient");
        const int w = st.MPI_SOURCE;
        memcpy(&h, in, sizeof h);
        const float *g = (const float *)(in + sizeof h);
        if (step >= l->total_steps || (l->sync && h.step < step)) {
            ANSWER(w);               /* run over, or a late gradient: dropped */
            continue;
        }
        if (!l->sync) {              /* async: apply on arrival */
            memcpy(sum + begin, g, sizeof(float) * len);
            hep_adam_update_range(&adam, info, params, sum, begin, begin + len);
            last_loss = h.loss;
            step++;
            ANSWER(w);
        } else {
            float *s = sum + begin;
            for (size_t i = 0; i < len; i++) s[i] += g[i];
            loss_sum += h.loss;
            waiting[nwaiting++] = w;
            if (++count < l->needed) continue;
            const float scale = 1.0f / count;
            for (size_t i = 0; i < len; i++) s[i] *= scale;
            hep_adam_update_range(&adam, info, params, sum, begin, begin + len);
            memset(s, 0, sizeof(float) * len);
            last_loss = loss_sum / count;
            loss_sum = 0;
            count = 0;
            step++;
            for (int i = 0; i < nwaiting; i++) ANSWER(waiting[i]);
            nwaiting = 0;
        }
        if (hep_ps_checkpoint_due(l, step)) {
            check(MPI_Wait(&snap_req, MPI_STATUS_IGNORE), "a snapshot");
            header r = { step, adam.step, 0, 0, last_loss };
            memcpy(snap, &r, sizeof r);
            float *sb = (float *)(snap + sizeof r);
            memcpy(sb, params + begin, sizeof(float) * len);
            memcpy(sb + len, adam.m + begin, sizeof(float) * len);
            memcpy(sb + 2 * len, adam.v + begin, sizeof(float) * len);
            check(MPI_Isend(snap, (int)(sizeof r + 3 * len * sizeof(float)), MPI_BYTE, 0, TAG_SNAPSHOT, MPI_COMM_WORLD,
                            &snap_req), "a snapshot");
        }
    }
    #undef ANSWER
    for (int w = 0; w < l->workers; w++) { check(MPI_Wait(&reply[w], MPI_STATUS_IGNORE), "a reply"); free(out[w]); }
    check(MPI_Wait(&snap_req, MPI_STATUS_IGNORE), "a snapshot");
    free(snap); free(out); free(reply); free(waiting); free(in); free(params); free(sum);
    hep_adam_free(&adam);
}

void hep_ps_send_initial(const hep_ps_layout *l, const float *params, const hep_adam *adam, long step)
{
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = shard_len(l, k);
        char *msg = pack(3 * len);
        header h = { step, adam->step, l->total_steps, l->steps_per_epoch, 0 };
        memcpy(msg, &h, sizeof h);
        float *body = (float *)(msg + sizeof h);
        memcpy(body, params + begin, sizeof(float) * len);
        memcpy(body + len, adam->m + begin, sizeof(float) * len);
        memcpy(body + 2 * len, adam->v + begin, sizeof(float) * len);
        check(MPI_Send(msg, (int)(sizeof h + 3 * len * sizeof(float)), MPI_BYTE, hep_ps_server_rank(l, k), TAG_INIT,
                       MPI_COMM_WORLD), "sending the initial shard");
        free(msg);
    }
}

long hep_ps_exchange(const hep_ps_layout *l, float *params, const float *grads, double *loss, long step)
{
    long next = step;
    double server_loss = *loss;
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = shard_len(l, k);
        char *msg = pack(len);
        header h = { step, 0, 0, 0, *loss };
        memcpy(msg, &h, sizeof h);
        memcpy(msg + sizeof h, grads + begin, sizeof(float) * len);
        check(MPI_Send(msg, (int)(sizeof h + sizeof(float) * len), MPI_BYTE, hep_ps_server_rank(l, k), TAG_GRAD,
                       MPI_COMM_WORLD), "sending a gradient");
        free(msg);
    }
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = shard_len(l, k);
        char *msg = pack(len);
        check(MPI_Recv(msg, (int)(sizeof(header) + sizeof(float) * len), MPI_BYTE, hep_ps_server_rank(l, k), TAG_REPLY,
                       MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receiving parameters");
        header h;
        memcpy(&h, msg, sizeof h);
        memcpy(params + begin, msg + sizeof h, sizeof(float) * len);
        if (h.step > next) next = (long)h.step;
        if (k == 0) server_loss = h.loss;
        free(msg);
    }
    *loss = server_loss;
    return next;
}

long hep_ps_receive_snapshot(const hep_ps_layout *l, float *params, float *m, float *v)
{
    long adam_step = 0;
    for (int k = 0; k < l->servers; k++) {
        const size_t begin = hep_ps_shard_begin(l, k), len = shard_len(l, k);
        char *msg = pack(3 * len);
        check(MPI_Recv(msg, (int)(sizeof(header) + 3 * len * sizeof(float)), MPI_BYTE, hep_ps_server_rank(l, k),
                       TAG_SNAPSHOT, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "receiving a snapshot");
        header h;
        memcpy(&h, msg, sizeof h);
        const float *body = (const float *)(msg + sizeof h);
        memcpy(params + begin, body, sizeof(float) * len);
        memcpy(m + begin, body + len, sizeof(float) * len);
        memcpy(v + begin, body + 2 * len, sizeof(float) * len);
        adam_step = (long)h.adam_step;
        free(msg);
    }
    return adam_step;
}
