/* Where training batches come from: the seed's HDF5 files (the loader's I/O
 * thread) or --dummy_data (an in-memory pool). One interface, so that the
 * training loop does not care which. */
#ifndef HEP_BATCHES_H
#define HEP_BATCHES_H

#include <stdint.h>
#include <model.h>
#include "loader.h"

typedef struct {
    const float *x;         /* [n][C][H][W], normalised */
    const int *labels;
    const float *weights;   /* per-sample loss weights (the files' normweight) */
} hep_train_batch;

typedef struct hep_batch_source hep_batch_source;

/* Files: opt->first_epoch and opt->skip_batches place a restarted run. */
hep_batch_source *hep_batches_files(const hep_h5file *files, int nfiles, const hep_model_info *info,
                                    const hep_loader_options *opt);
/* Dummy data: the global batches depend on the step only, so every rank
 * count and every restart sees the same ones. */
hep_batch_source *hep_batches_dummy(const hep_model_info *info, int batch, int workers, int rank, uint64_t seed);

/* The batch for global step `step` (steps come in increasing order from the
 * first one trained). Exits with the reader's message on an I/O error. */
void hep_batches_next(hep_batch_source *s, long step, hep_train_batch *b);
/* Rank 0's summary line of the reading (files only). */
void hep_batches_report(const hep_batch_source *s);
void hep_batches_close(hep_batch_source *s);

#endif
