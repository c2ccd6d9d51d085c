#include "init.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "util.h"

void hep_init_params(hep_model *m, const hep_model_info *info, uint64_t seed)
{
    float *plain = hep_xmalloc(sizeof(float) * info->num_params, "initial parameters");
    for (int t = 0; t < info->num_tensors; t++) {
        const hep_tensor_info *ti = &info->tensors[t];
        float *p = plain + ti->offset;
        if (ti->kind == HEP_TENSOR_BIAS) {
            memset(p, 0, sizeof(float) * ti->count);
            continue;
        }
        if (ti->kind == HEP_TENSOR_SCALE) {   /* batch norm's gamma */
            for (size_t i = 0; i < ti->count; i++) p[i] = 1.0f;
            continue;
        }
        const double std = sqrt(2.0 / ti->fan_in);
#pragma omp parallel for schedule(static)
        for (long i = 0; i < (long)ti->count; i++) {   /* Box-Muller */
            double u1 = hep_rng_uniform(seed, 100u + (uint32_t)t, 2 * (uint64_t)i);
            double u2 = hep_rng_uniform(seed, 100u + (uint32_t)t, 2 * (uint64_t)i + 1);
            p[i] = (float)(std * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        }
    }
    hep_model_params_from_plain(m, plain, hep_model_params(m));
    free(plain);
}
