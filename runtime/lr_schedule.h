/* Learning-rate schedules in the original benchmark's format and meaning:
 * `learning_rate` is a number, or
 *
 *   { "mode": "piecewise" | "polynomial", "power": P,
 *     "learning_rate_params": { "<step>": rate, ... } }
 *
 * With the entries sorted by step (s_0 < s_1 < ... < s_n-1, rates r_i), as
 * the original hands them to TensorFlow:
 *   piecewise  (tf.train.piecewise_constant with boundaries s_i and rates
 *              r_0, r_0, r_1, ..., r_n-1): r_0 up to step s_1, then r_i
 *              after step s_i up to s_i+1, r_n-1 after s_n-1;
 *   polynomial (tf.train.polynomial_decay from r_0 to r_n-1 over s_n-1
 *              steps with `power`): (r_0 - r_n-1) (1 - t/s_n-1)^P + r_n-1 for
 *              t = min(step, s_n-1); the entries between are not used.
 * `step` is the global step at the update: the number of updates before
 * it, so restarts and parameter servers agree. */
#ifndef HEP_LR_SCHEDULE_H
#define HEP_LR_SCHEDULE_H

#include <stddef.h>

enum { HEP_LR_CONSTANT = 0, HEP_LR_PIECEWISE = 1, HEP_LR_POLYNOMIAL = 2, HEP_LR_MAX_POINTS = 64 };

typedef struct {
    int mode;
    double power;
    int n;                              /* points; 1 for a constant */
    long step[HEP_LR_MAX_POINTS];
    double rate[HEP_LR_MAX_POINTS];
} hep_lr_schedule;

void hep_lr_constant(hep_lr_schedule *s, double rate);
double hep_lr_at(const hep_lr_schedule *s, long step);

/* From JSON text of the object form; NULL on success, otherwise what was
 * expected (with the offending part in detail). */
const char *hep_lr_parse_json(hep_lr_schedule *s, const char *json, char *detail, size_t len);

/* Canonical text ("0.001", or the object as JSON with sorted steps): the
 * settings checkpoints compare and the config they keep. */
void hep_lr_describe(const hep_lr_schedule *s, char *out, size_t len);

#endif
