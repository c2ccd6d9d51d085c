/* Adam (Kingma & Ba; beta1 0.9, beta2 0.999, eps 1e-8) -- see optim.h. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void hep_adam_init(hep_adam *a, size_t n, double lr, double weight_decay)
{
    memset(a, 0, sizeof *a);
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->weight_decay = weight_decay;
    a->n = n;
    a->m = hep_xmalloc_large(sizeof(float) * n, "Adam first moments");
    a->v = hep_xmalloc_large(sizeof(float) * n, "Adam second moments");
    memset(a->m, 0, sizeof(float) * n);
    memset(a->v, 0, sizeof(float) * n);
}

void hep_adam_free(hep_adam *a)
{
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
}

void hep_adam_update(hep_adam *a, const hep_model_info *info, float *params, const float *grads)
{
    hep_adam_update_range(a, info, params, grads, 0, info->num_internal);
}

void hep_adam_update_range(hep_adam *a, const hep_model_info *info, float *params, const float *grads,
                           size_t begin, size_t end)
{
    a->step++;
    const float b1 = (float)a->beta1, b2 = (float)a->beta2;
    /* bias corrections folded into the step size and epsilon */
    const double c1 = 1.0 - pow(a->beta1, (double)a->step), c2 = 1.0 - pow(a->beta2, (double)a->step);
    const float lr_t = (float)(a->lr * sqrt(c2) / c1), eps_t = (float)(a->eps * sqrt(c2));
    for (int t = 0; t < info->num_tensors; t++) {
        const hep_tensor_info *ti = &info->tensors[t];
        const size_t first = ti->internal, last = ti->internal + ti->stored;   /* padding included: zero stays zero */
        size_t lo = first > begin ? first : begin, hi = last < end ? last : end;
        if (lo >= hi) continue;
        const float wd = ti->kind == HEP_TENSOR_WEIGHT ? (float)a->weight_decay : 0.0f;
        float *p = params + lo, *m = a->m + lo, *v = a->v + lo;
        const float *g = grads + lo;
        const long count = (long)(hi - lo);
#pragma omp parallel for simd schedule(static)
        for (long i = 0; i < count; i++) {
            float gi = g[i] + wd * p[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps_t);
        }
    }
}
