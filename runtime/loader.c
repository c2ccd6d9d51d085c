/* Batch streaming from HDF5 (see loader.h). One producer thread reads the
 * rows in the order row_order.c gives, a window at a time, into a ring of
 * RING batch buffers. */
#define _POSIX_C_SOURCE 200809L
#include "loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row_order.h"
#include "util.h"

enum { RING = 3, WINDOW_BYTES = 64 << 20, OPEN_FILES = 16 };

typedef hep_shard shard;

/* An open file of the small cache the producer reads through. */
typedef struct { int file; unsigned long used; hep_h5rows r; } open_file;

struct hep_loader {
    const hep_h5file *files;
    const hep_model_info *info;
    hep_loader_options opt;
    shard *shards;
    int nshards;
    size_t image;                 /* floats per image */
    long window;                  /* rows per window */
    long block_rows;              /* rows per block (row_order.h) */
    float *window_buf;            /* [window][image] */
    int *window_file;             /* [window] each row's file */
    long *window_row, *window_order;   /* [window] each row's row; the emitting order */
    open_file open[OPEN_FILES];
    int nopen;
    unsigned long uses;
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

/* The open file `file` (the least recently used one is closed when the
 * cache is full); NULL with err set on failure. */
static hep_h5rows *reader_for(hep_loader *l, int file, char *err, size_t errlen)
{
    int lru = 0;
    for (int i = 0; i < l->nopen; i++) {
        if (l->open[i].file == file) { l->open[i].used = ++l->uses; return &l->open[i].r; }
        if (l->open[i].used < l->open[lru].used) lru = i;
    }
    int slot;
    if (l->nopen < OPEN_FILES) {
        slot = l->nopen++;
    } else {
        slot = lru;
        hep_h5rows_close(&l->open[slot].r);
    }
    l->open[slot].file = -1;
    if (hep_h5rows_open(&l->open[slot].r, &l->files[file], l->info, err, errlen) != 0) return NULL;
    l->open[slot].file = file;
    l->open[slot].used = ++l->uses;
    return &l->open[slot].r;
}

static void close_readers(hep_loader *l)
{
    for (int i = 0; i < l->nopen; i++) hep_h5rows_close(&l->open[i].r);   /* a failed open left it zeroed */
    l->nopen = 0;
}

/* Reads a window's blocks (runs of the same file's consecutive rows in one
 * read) into the window buffer. Returns 0, or -1 after fail(). */
static int read_window(hep_loader *l, const hep_block *blocks, long count)
{
    char err[1024];
    long pos = 0;
    for (long b = 0; b < count;) {
        const shard *sh = &l->shards[blocks[b].shard];
        long row0 = blocks[b].row0, n = blocks[b].n;
        while (b + 1 < count && blocks[b + 1].shard == blocks[b].shard && blocks[b + 1].row0 == row0 + n)
            n += blocks[++b].n;
        b++;
        hep_h5rows *r = reader_for(l, sh->file, err, sizeof err);
        double t0 = hep_wall_seconds();
        if (!r || hep_h5rows_read(r, row0, n, l->window_buf + (size_t)pos * l->image, err, sizeof err) != 0) {
            fail(l, err);
            return -1;
        }
        l->read_seconds += hep_wall_seconds() - t0;
        l->read_bytes += (double)n * l->image * sizeof(float);
        for (long i = 0; i < n; i++) { l->window_file[pos + i] = sh->file; l->window_row[pos + i] = row0 + i; }
        pos += n;
    }
    return 0;
}

/* One epoch, window by window; the first `*skip` rows of its order are
 * passed over (a restart mid-epoch), whole windows without reading them.
 * Returns 1 when the consumer stopped, -1 on error. */
static int produce_epoch(hep_loader *l, cursor *c, int epoch, long *skip)
{
    const hep_loader_options *o = &l->opt;
    hep_block *blocks;
    long nblocks = hep_epoch_blocks(l->shards, l->nshards, l->block_rows, o->shuffle, o->seed, epoch, &blocks);
    int rc = 0;
    for (long b = 0, w = 0; b < nblocks && rc == 0 && !epoch_full(l, c); w++) {
        long rows, count = hep_window_blocks(blocks, nblocks, b, l->window, &rows);
        if (*skip >= rows) { *skip -= rows; b += count; continue; }
        if (read_window(l, blocks + b, count) != 0) { rc = -1; break; }
        hep_window_order(l->window_order, rows, o->shuffle, o->seed, epoch, w);
        for (long i = *skip; i < rows && rc == 0 && !epoch_full(l, c); i++) {
            long k = l->window_order[i];
            rc = add_row(l, c, &l->files[l->window_file[k]], l->window_row[k], l->window_buf + (size_t)k * l->image);
        }
        *skip = 0;
        b += count;
    }
    free(blocks);
    return rc;
}

static void *producer(void *arg)
{
    hep_loader *l = arg;
    const hep_loader_options *o = &l->opt;
    cursor c = { 0 };
    long skip = o->skip_batches * o->batch;
    c.sample = (uint64_t)skip;
    for (int epoch = o->first_epoch; epoch < o->epochs; epoch++) {
        c.emitted = epoch == o->first_epoch ? o->skip_batches : 0;
        if (produce_epoch(l, &c, epoch, &skip) != 0) break;
        if (o->shuffle) {
            c.filled = 0;   /* training drops the remainder: every rank the same steps */
        } else if (c.filled > 0) {
            if (produce_wait(l)) break;
            l->slots[c.tail].n = c.filled;
            c.filled = 0;
            c.tail = (c.tail + 1) % RING;
            publish(l);
        }
    }
    close_readers(l);
    pthread_mutex_lock(&l->mu);
    l->done = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* The rows of the read window: window_bytes' worth (0: WINDOW_BYTES), at
 * least a batch. */
static long window_rows(size_t image, int batch, long window_bytes)
{
    long rows = (window_bytes > 0 ? window_bytes : WINDOW_BYTES) / (long)(image * sizeof(float));
    if (rows < batch) rows = batch;
    return rows < 1 ? 1 : rows;
}

size_t hep_loader_bytes(const hep_model_info *info, int batch, long window_bytes)
{
    const size_t image = (size_t)info->in_channels * info->in_height * info->in_width;
    const size_t window = (size_t)window_rows(image, batch, window_bytes);
    return window * (sizeof(float) * image + sizeof(int) + 2 * sizeof(long)) +
           RING * (size_t)batch * (sizeof(float) * image + sizeof(int) + 3 * sizeof(float));
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
    l->window = window_rows(l->image, opt->batch, opt->window_bytes);
    l->block_rows = hep_block_rows(l->window);
    l->window_buf = hep_xmalloc_large(sizeof(float) * l->image * (size_t)l->window, "the read window");
    l->window_file = hep_xmalloc(sizeof(int) * (size_t)l->window, "the window's files");
    l->window_row = hep_xmalloc(sizeof(long) * (size_t)l->window, "the window's rows");
    l->window_order = hep_xmalloc(sizeof(long) * (size_t)l->window, "the window's order");
    for (int s = 0; s < RING; s++) {
        hep_batch *b = &l->slots[s];
        b->x = hep_xmalloc_large(sizeof(float) * l->image * (size_t)opt->batch, "a batch buffer");
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
    free(l->window_file);
    free(l->window_row);
    free(l->window_order);
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
        if (hep_h5rows_open(&reader, &files[s[i].file], info, err, errlen) != 0) { rc = -1; break; }
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
