/* Batch streaming from HDF5 (see loader.h). One producer thread owns all
 * HDF5 reads during a run; the ring has RING slots. */
#define _POSIX_C_SOURCE 200809L
#include "loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

enum { RING = 3, WINDOW_BYTES = 64 << 20 };

typedef struct { int file; long row0, row1; } shard;

struct hep_loader {
    const hep_h5file *files;
    const hep_model_info *info;
    hep_loader_options opt;
    shard *shards;
    int nshards;
    size_t image;                 /* floats per image */
    long window;                  /* rows per read */
    float *window_buf;
    hep_batch slots[RING];
    int head, count, done, failed, stop;
    char error[1024];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int holding;                  /* the consumer holds slot `head` */
    double wait_seconds, read_bytes, read_seconds;
};

static int make_shards(const hep_h5file *files, int nfiles, int rank, int size, shard **out)
{
    shard *s = hep_xmalloc(sizeof(shard) * (size_t)(nfiles > 0 ? nfiles : 1), "the shard list");
    int n = 0;
    for (int f = 0; f < nfiles; f++) {
        if (nfiles >= size) {
            if (f % size == rank) s[n++] = (shard){ f, 0, files[f].rows };
        } else {
            /* fewer files than ranks: every rank a contiguous slice of every file */
            long r0 = files[f].rows * rank / size, r1 = files[f].rows * (rank + 1) / size;
            if (r1 > r0) s[n++] = (shard){ f, r0, r1 };
        }
    }
    *out = s;
    return n;
}

long hep_loader_local_rows(const hep_h5file *files, int nfiles, int rank, int size)
{
    shard *s;
    int n = make_shards(files, nfiles, rank, size, &s);
    long rows = 0;
    for (int i = 0; i < n; i++) rows += s[i].row1 - s[i].row0;
    free(s);
    return rows;
}

/* Seeded permutation (Fisher-Yates over Philox draws). */
static void permute(long *idx, long n, uint64_t seed, uint32_t stream, uint64_t salt)
{
    for (long i = 0; i < n; i++) idx[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(hep_rng_uniform(seed, stream, salt * 1000003u + (uint64_t)i) * (i + 1));
        if (j > i) j = i;
        long t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    }
}

static int produce_wait(hep_loader *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->count == RING && !l->stop) pthread_cond_wait(&l->cv, &l->mu);
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

static void publish(hep_loader *l)
{
    pthread_mutex_lock(&l->mu);
    l->count++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void fail(hep_loader *l, const char *msg)
{
    pthread_mutex_lock(&l->mu);
    snprintf(l->error, sizeof l->error, "%s", msg);
    l->failed = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

/* The producer's position: the slot being filled and the images in it. */
typedef struct {
    int tail, filled;
    uint64_t sample;        /* this rank's running sample count, for first_sample */
    long emitted;           /* batches of this epoch published */
} cursor;

static int epoch_full(const hep_loader *l, const cursor *c)
{
    return l->opt.steps_per_epoch >= 0 && c->emitted >= l->opt.steps_per_epoch;
}

/* Copies row rows[i] of the window (normalised) into the batch being
 * filled, publishing it when full. Returns 1 when the consumer stopped. */
static int add_row(hep_loader *l, cursor *c, const hep_h5file *f, long row, const float *src)
{
    const hep_loader_options *o = &l->opt;
    const int C = l->info->in_channels;
    const size_t plane = (size_t)l->info->in_height * l->info->in_width;
    if (c->filled == 0 && produce_wait(l)) return 1;
    hep_batch *b = &l->slots[c->tail];
    float *dst = b->x + (size_t)c->filled * l->image;
    for (int ch = 0; ch < C; ch++) {
        float scale = o->channel_max && o->channel_max[ch] > 0 ? 1.0f / o->channel_max[ch] : 1.0f;
        for (size_t p = 0; p < plane; p++) dst[ch * plane + p] = src[ch * plane + p] * scale;
    }
    b->label[c->filled] = f->label[row];
    b->weight[c->filled] = f->weight[row];
    b->normweight[c->filled] = f->normweight[row];
    b->psr[c->filled] = f->psr ? f->psr[row] : 0.0f;
    if (c->filled == 0) b->first_sample = c->sample;
    c->filled++;
    c->sample++;
    if (c->filled == o->batch) {
        b->n = c->filled;
        c->filled = 0;
        c->tail = (c->tail + 1) % RING;
        c->emitted++;
        publish(l);
    }
    return 0;
}

/* One shard of one epoch, window by window; the first `*skip` rows of the
 * epoch's order are passed over (a restart mid-epoch), whole windows
 * without reading them. Returns 1 when the consumer stopped, -1 on error. */
static int produce_shard(hep_loader *l, cursor *c, int epoch, long shard_index, long *skip, long *rows)
{
    const hep_loader_options *o = &l->opt;
    const shard *sh = &l->shards[shard_index];
    const hep_h5file *f = &l->files[sh->file];
    if (*skip >= sh->row1 - sh->row0) { *skip -= sh->row1 - sh->row0; return 0; }
    char err[1024];
    hep_h5rows reader;
    if (hep_h5rows_open(&reader, f->path, l->info, err, sizeof err) != 0) { fail(l, err); return -1; }
    int rc = 0;
    for (long r0 = sh->row0; r0 < sh->row1 && rc == 0 && !epoch_full(l, c); r0 += l->window) {
        long n = sh->row1 - r0 < l->window ? sh->row1 - r0 : l->window;
        if (*skip >= n) { *skip -= n; continue; }
        double t0 = hep_wall_seconds();
        if (hep_h5rows_read(&reader, r0, n, l->window_buf, err, sizeof err) != 0) { fail(l, err); rc = -1; break; }
        l->read_seconds += hep_wall_seconds() - t0;
        l->read_bytes += (double)n * l->image * sizeof(float);
        if (o->shuffle) permute(rows, n, o->seed, 0x5a12u, ((uint64_t)epoch << 32) ^ (uint64_t)(shard_index << 20) ^ (uint64_t)r0);
        else for (long i = 0; i < n; i++) rows[i] = i;
        for (long i = *skip; i < n && rc == 0 && !epoch_full(l, c); i++)
            rc = add_row(l, c, f, r0 + rows[i], l->window_buf + (size_t)rows[i] * l->image);
        *skip = 0;
    }
    hep_h5rows_close(&reader);
    return rc;
}

static void *producer(void *arg)
{
    hep_loader *l = arg;
    const hep_loader_options *o = &l->opt;
    long *order = hep_xmalloc(sizeof(long) * (size_t)(l->nshards + 1), "shard order");
    long *rows = hep_xmalloc(sizeof(long) * (size_t)l->window, "window order");
    cursor c = { 0 };
    long skip = o->skip_batches * o->batch;
    c.sample = (uint64_t)skip;
    for (int epoch = o->first_epoch; epoch < o->epochs; epoch++) {
        c.emitted = epoch == o->first_epoch ? o->skip_batches : 0;
        if (o->shuffle) permute(order, l->nshards, o->seed, 0x5a11u, (uint64_t)epoch);
        else for (long i = 0; i < l->nshards; i++) order[i] = i;
        for (long si = 0; si < l->nshards && !epoch_full(l, &c); si++)
            if (produce_shard(l, &c, epoch, order[si], &skip, rows) != 0) goto out;
        if (o->shuffle) {
            c.filled = 0;   /* training drops the remainder: every rank the same steps */
        } else if (c.filled > 0) {
            if (produce_wait(l)) goto out;
            l->slots[c.tail].n = c.filled;
            c.filled = 0;
            c.tail = (c.tail + 1) % RING;
            publish(l);
        }
    }
out:
    free(order);
    free(rows);
    pthread_mutex_lock(&l->mu);
    l->done = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

hep_loader *hep_loader_start(const hep_h5file *files, int nfiles, const hep_model_info *info,
                             const hep_loader_options *opt)
{
    hep_loader *l = calloc(1, sizeof *l);
    if (!l) hep_fatal("out of memory starting the data loader");
    l->files = files;
    l->info = info;
    l->opt = *opt;
    l->nshards = make_shards(files, nfiles, opt->rank, opt->size, &l->shards);
    l->image = (size_t)info->in_channels * info->in_height * info->in_width;
    l->window = WINDOW_BYTES / (long)(l->image * sizeof(float));
    if (l->window < opt->batch) l->window = opt->batch;
    if (l->window < 1) l->window = 1;
    l->window_buf = hep_xmalloc(sizeof(float) * l->image * (size_t)l->window, "the read window");
    for (int s = 0; s < RING; s++) {
        hep_batch *b = &l->slots[s];
        b->x = hep_xmalloc(sizeof(float) * l->image * (size_t)opt->batch, "a batch buffer");
        b->label = hep_xmalloc(sizeof(int) * (size_t)opt->batch, "batch labels");
        b->weight = hep_xmalloc(sizeof(float) * (size_t)opt->batch, "batch weights");
        b->normweight = hep_xmalloc(sizeof(float) * (size_t)opt->batch, "batch weights");
        b->psr = hep_xmalloc(sizeof(float) * (size_t)opt->batch, "batch psr");
        memset(b->x, 0, sizeof(float) * l->image * (size_t)opt->batch);   /* touch the pages now */
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->thread, NULL, producer, l) != 0) hep_fatal("cannot start the data loader thread");
    return l;
}

const hep_batch *hep_loader_next(hep_loader *l)
{
    double t0 = hep_wall_seconds();
    pthread_mutex_lock(&l->mu);
    if (l->holding) {                 /* release the previous batch */
        l->holding = 0;
        l->head = (l->head + 1) % RING;
        l->count--;
        pthread_cond_broadcast(&l->cv);
    }
    while (l->count == 0 && !l->done && !l->failed) pthread_cond_wait(&l->cv, &l->mu);
    if (l->failed) {
        pthread_mutex_unlock(&l->mu);
        hep_fatal("%s", l->error);
    }
    const hep_batch *b = NULL;
    if (l->count > 0) {
        b = &l->slots[l->head];
        l->holding = 1;
    }
    pthread_mutex_unlock(&l->mu);
    l->wait_seconds += hep_wall_seconds() - t0;
    return b;
}

void hep_loader_stop(hep_loader *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    for (int s = 0; s < RING; s++) {
        free(l->slots[s].x); free(l->slots[s].label); free(l->slots[s].weight);
        free(l->slots[s].normweight); free(l->slots[s].psr);
    }
    free(l->window_buf);
    free(l->shards);
    free(l);
}

void hep_loader_stats(const hep_loader *l, double *wait_seconds, double *read_bytes, double *read_seconds)
{
    *wait_seconds = l->wait_seconds;
    *read_bytes = l->read_bytes;
    *read_seconds = l->read_seconds;
}

int hep_scan_files(const hep_h5file *files, int nfiles, const hep_model_info *info, int rank, int size,
                   float *channel_max, char *err, size_t errlen)
{
    shard *s;
    int n = make_shards(files, nfiles, rank, size, &s);
    const int C = info->in_channels;
    const size_t plane = (size_t)info->in_height * info->in_width, image = C * plane;
    long window = WINDOW_BYTES / (long)(image * sizeof(float));
    if (window < 1) window = 1;
    float *buf = hep_xmalloc(sizeof(float) * image * (size_t)window, "the normalisation window");
    for (int c = 0; c < C && channel_max; c++) channel_max[c] = 0.0f;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        hep_h5rows reader;
        if (hep_h5rows_open(&reader, files[s[i].file].path, info, err, errlen) != 0) { rc = -1; break; }
        for (long r0 = s[i].row0; r0 < s[i].row1; r0 += window) {
            long count = s[i].row1 - r0 < window ? s[i].row1 - r0 : window;
            if (hep_h5rows_read(&reader, r0, count, buf, err, errlen) != 0) { rc = -1; break; }
            for (long r = 0; r < count && channel_max; r++)
                for (int c = 0; c < C; c++) {
                    const float *p = buf + (size_t)r * image + c * plane;
                    float m = channel_max[c];
                    for (size_t j = 0; j < plane; j++) m = p[j] > m ? p[j] : m;
                    channel_max[c] = m;
                }
        }
        hep_h5rows_close(&reader);
    }
    free(buf);
    free(s);
    return rc;
}
