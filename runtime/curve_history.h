/* The loss curves of a run's earlier jobs. A long run goes on job after job
 * from its checkpoints, and each job draws plots/loss.svg from its own
 * curves: without their history the plot would show only the steps since
 * the last restart. The history is what those jobs recorded in
 * outputpath/logs/metrics.jsonl. */
#ifndef HEP_CURVE_HISTORY_H
#define HEP_CURVE_HISTORY_H

#include "plots.h"

/* Adds to `train` and `val` (empty) the training reports and validation
 * evaluations that logs/metrics.jsonl holds up to `upto_step`, the
 * checkpoint this job resumes from. A job killed after its checkpoint
 * recorded steps that the next job trains and records again: where a
 * record's step is not past its curve's last, the later record replaces
 * those points. Lines that are not such a record (a test evaluation, a
 * line cut short) are passed over; a file that is not there gives no
 * history. Returns the number of points added. */
int hep_curves_reload(const char *outputpath, long upto_step, hep_curve *train, hep_curve *val);

#endif
