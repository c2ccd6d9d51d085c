/* Batch sources (see batches.h). */
#include "batches.h"

#include <stdio.h>
#include <stdlib.h>

#include "data.h"
#include "util.h"

struct hep_batch_source {
    hep_loader *loader;     /* files, or */
    hep_dummy dummy;        /* dummy data when loader is NULL */
};

hep_batch_source *hep_batches_files(const hep_h5file *files, int nfiles, const hep_model_info *info,
                                    const hep_loader_options *opt)
{
    hep_batch_source *s = hep_xmalloc(sizeof *s, "the batch source");
    s->loader = hep_loader_start(files, nfiles, info, opt);
    return s;
}

hep_batch_source *hep_batches_dummy(const hep_model_info *info, int batch, int workers, int rank, uint64_t seed)
{
    hep_batch_source *s = hep_xmalloc(sizeof *s, "the batch source");
    s->loader = NULL;
    hep_dummy_init(&s->dummy, info, batch, workers, rank, seed);
    return s;
}

void hep_batches_next(hep_batch_source *s, long step, hep_train_batch *b)
{
    if (!s->loader) {
        hep_dummy_batch(&s->dummy, step, &b->x, &b->labels, &b->weights);
        return;
    }
    const hep_batch *got = hep_loader_next(s->loader);
    if (!got) hep_fatal("internal: the data loader ran out before step %ld", step + 1);
    b->x = got->x;
    b->labels = got->label;
    b->weights = got->normweight;
}

void hep_batches_report(const hep_batch_source *s)
{
    if (!s->loader) return;
    double wait, bytes, read_s;
    hep_loader_stats(s->loader, &wait, &bytes, &read_s);
    printf("hepcnn: data: %.1f MB read at %.0f MB/s by the I/O thread; the training thread waited %.2f s in all\n",
           bytes / 1e6, read_s > 0 ? bytes / 1e6 / read_s : 0.0, wait);
}

void hep_batches_close(hep_batch_source *s)
{
    if (!s) return;
    if (s->loader) hep_loader_stop(s->loader);
    else hep_dummy_free(&s->dummy);
    free(s);
}
