/* The standard-cuts comparison: the question the paper asks, does the CNN
 * beat the cut-based selection? psr is each event's result under the cuts
 * (1 selected, 0 not), as in the original benchmark's data and
 * hepcnn-datagen's. Over an evaluation's gathered records (two classes:
 * signal label 1, background label 0), weighted by `weight`: the cuts'
 * signal and background efficiencies, and the CNN's background efficiency
 * at the same signal efficiency (its score threshold chosen to select at
 * least that fraction of the signal). Rejection is 1 / efficiency. */
#ifndef HEP_CUTS_H
#define HEP_CUTS_H

#include <stddef.h>

typedef struct {
    double cut_signal_eff, cut_background_eff;
    double cnn_background_eff, cnn_threshold;
} hep_cuts;

/* 0, or -1 with the reason there is no comparison in why. */
int hep_cuts_compare(const float *records, long n, int classes, hep_cuts *out, char *why, size_t len);

#endif
