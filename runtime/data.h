/* Training data. For now: --dummy_data, an in-memory pool of images with a
 * label-dependent pattern (so that a loss can be seen to fall), no I/O. */
#ifndef HEP_DATA_H
#define HEP_DATA_H

#include <stdint.h>
#include <model.h>

typedef struct {
    int pool, batch;          /* images in the pool; images per batch */
    size_t image_floats;
    float *x;                 /* [pool][C][H][W] */
    int *labels;              /* [pool] */
    float *weights;           /* [pool] */
} hep_dummy;

void hep_dummy_init(hep_dummy *d, const hep_model_info *info, int batch, uint64_t seed, int rank);
void hep_dummy_free(hep_dummy *d);
/* Batch `step` (any step: the pool is cycled) as views into the pool. */
void hep_dummy_batch(const hep_dummy *d, long step, const float **x, const int **labels, const float **weights);

#endif
