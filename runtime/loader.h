/* Streams batches from the seed's HDF5 files: this rank's share of the files
 * (whole files when there are at least as many files as ranks, otherwise a
 * slice of every file's rows), read by one I/O thread a window of rows at a
 * time (hyperslabs; files may be far larger than memory) into a ring of
 * batch buffers while the training thread computes. Training order is
 * shuffled per epoch (shard order, and rows within a read window) from the
 * run seed, so a run is reproducible; evaluation reads in file order. */
#ifndef HEP_LOADER_H
#define HEP_LOADER_H

#include <stdint.h>
#include <model.h>
#include "h5files.h"

typedef struct {
    int n;              /* images in this batch */
    float *x;           /* [n][C][H][W], normalised */
    int *label;
    float *weight, *normweight, *psr;   /* psr: zeros when the files have none */
    uint64_t first_sample;              /* a global index for dropout keys */
} hep_batch;

typedef struct hep_loader hep_loader;

typedef struct {
    int rank, size;
    int batch;            /* images per batch */
    int shuffle;          /* 1: training order (shuffled, whole batches only) */
    long steps_per_epoch; /* batches per epoch; evaluation: -1 = all rows */
    int first_epoch, epochs;
    long skip_batches;    /* of first_epoch, already trained (a mid-epoch restart) */
    uint64_t seed;
    const float *channel_max;   /* [C] normalisation divisors, NULL: none */
    long window_bytes;          /* read window; 0: 64 MB */
} hep_loader_options;

/* files: every file of this kind (all ranks agree on the list); the loader
 * takes this rank's share. */
hep_loader *hep_loader_start(const hep_h5file *files, int nfiles, const hep_model_info *info,
                             const hep_loader_options *opt);
/* The bytes hep_loader_start allocates for batches of `batch` (the read
 * window and the ring of batch buffers). */
size_t hep_loader_bytes(const hep_model_info *info, int batch, long window_bytes);
/* Next batch (valid until the next call), or NULL at the end. An I/O error
 * ends the job with the reader's message. */
const hep_batch *hep_loader_next(hep_loader *l);
void hep_loader_stop(hep_loader *l);

/* Rows this rank gets of these files. */
long hep_loader_local_rows(const hep_h5file *files, int nfiles, int rank, int size);

/* Reads this rank's share of the files, checking every value is finite,
 * and takes the per-channel maximum into channel_max [C] unless it is NULL;
 * the caller reduces over ranks. */
int hep_scan_files(const hep_h5file *files, int nfiles, const hep_model_info *info, int rank, int size,
                   float *channel_max, char *err, size_t errlen);

/* Seconds the training thread waited for a batch, and bytes read. */
void hep_loader_stats(const hep_loader *l, double *wait_seconds, double *read_bytes, double *read_seconds);

#endif
