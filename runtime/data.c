/* Dummy data (see data.h): class k brightens a horizontal band of channel
 * k mod C, over uniform noise. Labels are drawn uniformly from the head's
 * classes. The pool is generated once; batches are views into it. */
#include "data.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

void hep_dummy_init(hep_dummy *d, const hep_model_info *info, int batch, uint64_t seed, int rank)
{
    const int C = info->in_channels, H = info->in_height, W = info->in_width, K = info->num_classes;
    d->batch = batch;
    d->image_floats = (size_t)C * H * W;
    /* Enough distinct images that batches differ, bounded to ~256 MiB. */
    size_t cap = (256u << 20) / (d->image_floats * sizeof(float));
    size_t pool = (size_t)batch * 4 > 64 ? (size_t)batch * 4 : 64;
    if (pool > cap) pool = cap;
    if (pool < (size_t)batch) pool = (size_t)batch;
    d->pool = (int)pool;
    d->x = hep_xmalloc(sizeof(float) * pool * d->image_floats, "the dummy data pool");
    d->labels = hep_xmalloc(sizeof(int) * pool, "dummy labels");
    d->weights = hep_xmalloc(sizeof(float) * pool, "dummy weights");
    uint64_t s = seed ^ ((uint64_t)(rank + 1) << 40);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)pool; i++) {
        int label = (int)(hep_rng_uniform(s, 1, (uint64_t)i) * K);
        if (label >= K) label = K - 1;
        d->labels[i] = label;
        d->weights[i] = 1.0f;
        float *img = d->x + (size_t)i * d->image_floats;
        for (size_t j = 0; j < d->image_floats; j++)
            img[j] = 0.5f * (float)hep_rng_uniform(s, 2, (uint64_t)i * d->image_floats + j);
        int band0 = label * H / K, band1 = (label + 1) * H / K;
        float *plane = img + (size_t)(label % C) * H * W;
        for (int h = band0; h < band1; h++)
            for (int w = 0; w < W; w++) plane[h * W + w] += 0.5f;
    }
}

void hep_dummy_free(hep_dummy *d)
{
    free(d->x);
    free(d->labels);
    free(d->weights);
}

void hep_dummy_batch(const hep_dummy *d, long step, const float **x, const int **labels, const float **weights)
{
    int batches = d->pool / d->batch;
    size_t first = (size_t)(step % batches) * d->batch;
    *x = d->x + first * d->image_floats;
    *labels = d->labels + first;
    *weights = d->weights + first;
}
