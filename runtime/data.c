/* Dummy data (see data.h): class k brightens a horizontal band of channel
 * k mod C, over uniform noise. Labels are drawn uniformly from the head's
 * classes. The pool is generated once; batches are views into it. */
#include "data.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

/* Enough distinct images that batches differ, bounded to ~256 MiB; a
 * function of the global batch only, so all rank counts agree. */
static size_t pool_images(size_t image_floats, int batch, int workers)
{
    size_t global = (size_t)batch * workers;
    size_t cap = (256u << 20) / (image_floats * sizeof(float));
    size_t pool = global * 4 > 64 ? global * 4 : 64;
    if (pool > cap) pool = cap;
    if (pool < global) pool = global;
    return pool;
}

size_t hep_dummy_bytes(const hep_model_info *info, int batch, int workers)
{
    const size_t image_floats = (size_t)info->in_channels * info->in_height * info->in_width;
    const size_t images = pool_images(image_floats, batch, workers) + (size_t)batch;
    return images * (sizeof(float) * image_floats + sizeof(int) + sizeof(float));
}

void hep_dummy_init(hep_dummy *d, const hep_model_info *info, int batch, int workers, int rank, uint64_t seed)
{
    const int C = info->in_channels, H = info->in_height, W = info->in_width, K = info->num_classes;
    d->batch = batch;
    d->workers = workers;
    d->rank = rank;
    d->image_floats = (size_t)C * H * W;
    size_t pool = pool_images(d->image_floats, batch, workers);
    d->pool = (int)pool;
    d->x = hep_xmalloc_large(sizeof(float) * pool * d->image_floats, "the dummy data pool");
    d->labels = hep_xmalloc(sizeof(int) * pool, "dummy labels");
    d->weights = hep_xmalloc(sizeof(float) * pool, "dummy weights");
    uint64_t s = seed;
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
    d->bx = hep_xmalloc_large(sizeof(float) * d->image_floats * batch, "the dummy batch");
    d->blabels = hep_xmalloc(sizeof(int) * batch, "dummy batch labels");
    d->bweights = hep_xmalloc(sizeof(float) * batch, "dummy batch weights");
}

void hep_dummy_free(hep_dummy *d)
{
    free(d->x);
    free(d->labels);
    free(d->weights);
    free(d->bx);
    free(d->blabels);
    free(d->bweights);
}

void hep_dummy_batch(hep_dummy *d, long step, const float **x, const int **labels, const float **weights)
{
    for (int i = 0; i < d->batch; i++) {
        uint64_t sample = ((uint64_t)step * d->workers + d->rank) * d->batch + i;
        size_t k = (size_t)(sample % (uint64_t)d->pool);
        memcpy(d->bx + (size_t)i * d->image_floats, d->x + k * d->image_floats, sizeof(float) * d->image_floats);
        d->blabels[i] = d->labels[k];
        d->bweights[i] = d->weights[k];
    }
    *x = d->bx;
    *labels = d->blabels;
    *weights = d->bweights;
}
