/* The HDF5 reader and loader without MPI: ranks are simulated by creating
 * one loader per (rank, size). Files come from tests/make_h5.py ("files"
 * case): sample i of the whole list has data channel c = (c+1) i / 1000 and
 * weight i, so every batch can be traced back to the rows it holds.
 * Usage: test_loader DIR BATCH      checks split, shuffling, a restart's skip, normalisation
 *        test_loader DIR BATCH SIZE prints each rank's rows and the steps per epoch
 *        test_loader DIR BATCH mix  the class fraction of every training batch against
 *                                   the files' (class-sorted files must mix), with a
 *                                   1 MB read window: 21 rows of 64x64, as 64 MB are
 *                                   about 110 rows of 224x224
 *        test_loader DIR BATCH time one epoch of training order as fast as it reads */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <model.h>
#include "../runtime/loader.h"

static hep_model_info info = { .network = "test", .in_channels = 3, .in_height = 64, .in_width = 64, .num_classes = 2 };
static int failures;

#define EXPECT(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

static long sample_id(const hep_batch *b, int i)
{
    return lround(b->x[(size_t)i * 3 * 64 * 64] * 1000.0);
}

/* All ids a loader produces, in order; returns the count. */
static long drain(hep_loader *l, long *ids, long cap, long *batches)
{
    long n = 0;
    const hep_batch *b;
    *batches = 0;
    while ((b = hep_loader_next(l)) != NULL) {
        (*batches)++;
        for (int i = 0; i < b->n; i++) {
            long id = sample_id(b, i);
            EXPECT(fabsf(b->weight[i] - (float)id) < 0.5f, "weight %g does not belong to sample %ld", b->weight[i], id);
            if (n < cap) ids[n] = id;
            n++;
        }
    }
    return n;
}

/* Every training batch's fraction of label 1 against the files' fraction:
 * class-sorted files must still give mixed batches. */
static int mix(const hep_h5file *files, int nfiles, long total, int batch)
{
    long ones = 0;
    for (int f = 0; f < nfiles; f++)
        for (long r = 0; r < files[f].rows; r++) ones += files[f].label[r] == 1;
    const double global = (double)ones / total;
    hep_loader_options o = { .rank = 0, .size = 1, .batch = batch, .shuffle = 1, .steps_per_epoch = total / batch,
                             .epochs = 1, .seed = 7, .window_bytes = 1 << 20 };
    hep_loader *l = hep_loader_start(files, nfiles, &info, &o);
    const hep_batch *b;
    long batches = 0, both = 0;
    double dev = 0, worst = 0;
    while ((b = hep_loader_next(l)) != NULL) {
        int k = 0;
        for (int i = 0; i < b->n; i++) k += b->label[i] == 1;
        double d = fabs((double)k / b->n - global);
        dev += d;
        worst = d > worst ? d : worst;
        both += k > 0 && k < b->n;
        batches++;
    }
    hep_loader_stop(l);
    dev /= batches;
    printf("%ld batches of %d: label-1 fraction %.3f in the files; mean |batch - files| %.3f, worst %.3f; "
           "%ld of %ld batches hold both classes\n", batches, batch, global, dev, worst, both, batches);
    /* a batch of n drawn at random deviates by about sqrt(p(1-p)/n) */
    const double random_dev = sqrt(global * (1 - global) / batch);
    return dev < 1.5 * random_dev && both >= 0.9 * batches ? 0 : 1;
}

/* The I/O thread's rate over one epoch of training order, nothing else. */
static int read_rate(const hep_h5file *files, int nfiles, long total, int batch)
{
    hep_loader_options o = { .rank = 0, .size = 1, .batch = batch, .shuffle = 1, .steps_per_epoch = total / batch,
                             .epochs = 1, .seed = 7 };
    hep_loader *l = hep_loader_start(files, nfiles, &info, &o);
    long batches = 0;
    while (hep_loader_next(l) != NULL) batches++;
    double wait, bytes, seconds;
    hep_loader_stats(l, &wait, &bytes, &seconds);
    hep_loader_stop(l);
    printf("%ld batches, %.1f MB in %.3f s of reading: %.0f MB/s; the consumer waited %.3f s\n", batches, bytes / 1e6,
           seconds, bytes / 1e6 / seconds, wait);
    return 0;
}

/* A restart at batch k of an epoch gives exactly the rest of the
 * uninterrupted order, in this epoch and the next. */
static void check_skip(const hep_h5file *files, int nfiles, long total, int batch, long steps)
{
    hep_loader_options o = { .rank = 0, .size = 1, .batch = batch, .shuffle = 1, .steps_per_epoch = steps,
                             .epochs = 2, .seed = 9 };
    long *full = malloc(sizeof(long) * (size_t)(total * 2 + 1)), *rest = malloc(sizeof(long) * (size_t)(total * 2 + 1));
    long nb, checked = 0;
    hep_loader *whole = hep_loader_start(files, nfiles, &info, &o);
    drain(whole, full, total * 2, &nb);
    hep_loader_stop(whole);
    for (long k = 1; k < steps; k += (steps + 2) / 3) {
        o.first_epoch = 0;
        o.skip_batches = k;
        hep_loader *l = hep_loader_start(files, nfiles, &info, &o);
        long m = drain(l, rest, total * 2, &nb);
        hep_loader_stop(l);
        EXPECT(m == 2 * steps * batch - k * batch, "skip %ld: %ld samples", k, m);
        EXPECT(memcmp(rest, full + k * batch, sizeof(long) * (size_t)m) == 0, "skip %ld batches: another order", k);
        checked++;
    }
    printf("a restart at %ld mid-epoch batch(es) continues the same order\n", checked);
    free(full);
    free(rest);
}

/* Evaluation order over `size` ranks: every sample exactly once, each rank
 * its hep_loader_local_rows. Returns the fewest rows a rank holds. */
static long check_evaluation_order(const hep_h5file *files, int nfiles, long total, int batch, int size, long *ids)
{
    long *seen = calloc((size_t)total, sizeof(long));
    long rows_sum = 0, fewest = -1;
    for (int r = 0; r < size; r++) {
        hep_loader_options o = { .rank = r, .size = size, .batch = batch, .shuffle = 0, .steps_per_epoch = -1,
                                 .epochs = 1 };
        hep_loader *l = hep_loader_start(files, nfiles, &info, &o);
        long nb, n = drain(l, ids, total * 4, &nb);
        hep_loader_stop(l);
        long rows = hep_loader_local_rows(files, nfiles, r, size);
        EXPECT(n == rows, "size %d rank %d: read %ld samples, expected its %ld rows", size, r, n, rows);
        for (long i = 0; i < n && i < total * 4; i++)
            if (ids[i] >= 0 && ids[i] < total) seen[ids[i]]++;
        rows_sum += rows;
        if (fewest < 0 || rows < fewest) fewest = rows;
    }
    EXPECT(rows_sum == total, "size %d: ranks hold %ld rows, the files %ld", size, rows_sum, total);
    for (long i = 0; i < total; i++) EXPECT(seen[i] == 1, "size %d: sample %ld read %ld times", size, i, seen[i]);
    free(seen);
    return fewest;
}

/* Training order of rank r of `size`: `steps` whole batches an epoch,
 * distinct samples within an epoch, reproducible, changed by the seed and
 * reshuffled per epoch. */
static void check_training_order(const hep_h5file *files, int nfiles, long total, int batch, int r, int size,
                                 long steps, long *ids)
{
    hep_loader_options o = { .rank = r, .size = size, .batch = batch, .shuffle = 1, .steps_per_epoch = steps,
                             .epochs = 2, .seed = 42 };
    long nb, nb2, nb3;
    hep_loader *l = hep_loader_start(files, nfiles, &info, &o);
    long n = drain(l, ids, total * 4, &nb), per_epoch = steps * batch;
    hep_loader_stop(l);
    EXPECT(nb == 2 * steps, "size %d rank %d: %ld batches in 2 epochs, expected %ld", size, r, nb, 2 * steps);
    EXPECT(n == 2 * per_epoch, "size %d rank %d: %ld samples", size, r, n);
    long *again = malloc(sizeof(long) * (size_t)(n + 1));
    l = hep_loader_start(files, nfiles, &info, &o);
    drain(l, again, n, &nb2);
    hep_loader_stop(l);
    EXPECT(memcmp(ids, again, sizeof(long) * (size_t)n) == 0, "size %d rank %d: same seed, different order", size, r);
    o.seed = 43;
    l = hep_loader_start(files, nfiles, &info, &o);
    drain(l, again, n, &nb3);
    hep_loader_stop(l);
    if (per_epoch >= 4) {
        EXPECT(memcmp(ids, again, sizeof(long) * (size_t)n) != 0, "size %d rank %d: seed ignored", size, r);
        EXPECT(memcmp(ids, ids + per_epoch, sizeof(long) * (size_t)per_epoch) != 0,
               "size %d rank %d: epochs 0 and 1 in the same order", size, r);
    }
    for (int e = 0; e < 2; e++)
        for (long i = 0; i < per_epoch; i++)
            for (long j = i + 1; j < per_epoch; j++)
                EXPECT(ids[e * per_epoch + i] != ids[e * per_epoch + j],
                       "size %d rank %d epoch %d: sample %ld twice", size, r, e, ids[e * per_epoch + i]);
    free(again);
}

/* Normalisation over `size` ranks: the maximum of the ranks' maxima is the files'. */
static void check_maxima(const hep_h5file *files, int nfiles, long total, int size)
{
    char err[1024];
    float global[3] = { 0, 0, 0 };
    for (int r = 0; r < size; r++) {
        float mx[3];
        if (hep_scan_files(files, nfiles, &info, r, size, mx, err, sizeof err) != 0) { printf("FAIL: %s\n", err); failures++; }
        for (int c = 0; c < 3; c++) global[c] = mx[c] > global[c] ? mx[c] : global[c];
    }
    for (int c = 0; c < 3; c++)
        EXPECT(fabsf(global[c] - (c + 1) * (total - 1) / 1000.0f) < 1e-3f * (c + 1),
               "size %d: channel %d maximum %g, expected %g", size, c, global[c], (c + 1) * (total - 1) / 1000.0);
}

/* The loader divides each channel by its given maximum. */
static void check_divisors(const hep_h5file *files, int nfiles)
{
    float divisors[3] = { 2.0f, 4.0f, 6.0f };
    hep_loader_options o = { .rank = 0, .size = 1, .batch = 1, .shuffle = 0, .steps_per_epoch = -1, .epochs = 1,
                             .channel_max = divisors };
    hep_loader *l = hep_loader_start(files, nfiles, &info, &o);
    const hep_batch *b = hep_loader_next(l);
    long id = lround(b->weight[0]);
    for (int c = 0; c < 3; c++)
        EXPECT(fabsf(b->x[(size_t)c * 64 * 64 + 7] - (c + 1) * id / 1000.0f / divisors[c]) < 1e-6f,
               "normalised channel %d wrong", c);
    hep_loader_stop(l);
}

/* test_loader DIR BATCH SIZE: each rank's rows and the steps per epoch. */
static int print_split(const hep_h5file *files, int nfiles, int batch, int size)
{
    long fewest = -1;
    for (int r = 0; r < size; r++) {
        long rows = hep_loader_local_rows(files, nfiles, r, size);
        printf("rank %d: %ld rows\n", r, rows);
        if (fewest < 0 || rows < fewest) fewest = rows;
    }
    printf("steps per epoch: %ld\n", fewest / batch);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: test_loader DIR BATCH [SIZE | mix | time]\n"); return 2; }
    const char *dir = argv[1];
    int batch = atoi(argv[2]);
    char err[1024], **paths;
    int nfiles = hep_h5_list(dir, "train", &paths, err, sizeof err);
    if (nfiles <= 0) { fprintf(stderr, "test_loader: %s\n", nfiles < 0 ? err : "no files"); return 1; }
    hep_h5file *files = calloc((size_t)nfiles, sizeof *files);
    long total = 0;
    for (int i = 0; i < nfiles; i++) {
        if (hep_h5file_load(&files[i], paths[i], &info, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); return 1; }
        total += files[i].rows;
    }
    if (argc > 3 && !strcmp(argv[3], "mix")) return mix(files, nfiles, total, batch);
    if (argc > 3 && !strcmp(argv[3], "time")) return read_rate(files, nfiles, total, batch);
    if (argc > 3) return print_split(files, nfiles, batch, atoi(argv[3]));

    long *ids = malloc(sizeof(long) * (size_t)(total * 4 + 16));
    printf("%d file(s), %ld samples, batch %d\n", nfiles, total, batch);
    for (int size = 1; size <= 3; size++) {
        long steps = check_evaluation_order(files, nfiles, total, batch, size, ids) / batch;
        if (steps < 1) continue;
        for (int r = 0; r < size; r++) check_training_order(files, nfiles, total, batch, r, size, steps, ids);
        check_maxima(files, nfiles, total, size);
        printf("ranks %d: split, shuffling and maxima checked (%ld steps per epoch)\n", size, steps);
    }
    if (total / batch >= 2) check_skip(files, nfiles, total, batch, total / batch);
    check_divisors(files, nfiles);
    free(ids);
    printf("%s\n", failures ? "FAILED" : "loader checks passed");
    return failures ? 1 : 0;
}
