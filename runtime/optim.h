/* Adam on the flat parameter array (elementwise, so the model's internal
 * element order does not matter), with L2 weight decay on weights (not
 * biases) added to the gradient, as the seed adds it to the loss. */
#ifndef HEP_OPTIM_H
#define HEP_OPTIM_H

#include <stddef.h>
#include <model.h>

typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    long step;          /* updates applied so far */
    float *m, *v;       /* [num_internal] moments, internal order */
    size_t n;
} hep_adam;

void hep_adam_init(hep_adam *a, size_t n, double lr, double weight_decay);
void hep_adam_free(hep_adam *a);
void hep_adam_update(hep_adam *a, const hep_model_info *info, float *params, const float *grads);
/* The same on elements [begin, end) only (a parameter server's shard);
 * counts as one update. */
void hep_adam_update_range(hep_adam *a, const hep_model_info *info, float *params, const float *grads,
                           size_t begin, size_t end);

#endif
