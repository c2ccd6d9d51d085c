/* --dummy_data: an in-memory pool of images with a label-dependent pattern
 * (so that a loss can be seen to fall), no I/O. The pool is indexed by the
 * global sample number, so every rank count sees the same global batches:
 * W ranks with batch B train exactly what one rank with batch W x B does. */
#ifndef HEP_DATA_H
#define HEP_DATA_H

#include <stdint.h>
#include <model.h>

typedef struct {
    int pool, batch, workers, rank;
    size_t image_floats;
    float *x;                 /* [pool][C][H][W] */
    int *labels;              /* [pool] */
    float *weights;           /* [pool] */
    float *bx;                /* this rank's current batch */
    int *blabels;
    float *bweights;
} hep_dummy;

void hep_dummy_init(hep_dummy *d, const hep_model_info *info, int batch, int workers, int rank, uint64_t seed);
/* The bytes hep_dummy_init allocates (the pool and the batch). */
size_t hep_dummy_bytes(const hep_model_info *info, int batch, int workers);
void hep_dummy_free(hep_dummy *d);
/* This rank's part of global batch `step` (the pool is cycled). */
void hep_dummy_batch(hep_dummy *d, long step, const float **x, const int **labels, const float **weights);

#endif
