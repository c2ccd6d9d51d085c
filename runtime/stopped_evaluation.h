/* The run's last evaluation, when a stop signal cut it short. The run's
 * steps are done and its checkpoint written, but the validation figures of
 * its last step are not: the stop exits HEP_EXIT_STOPPED like any other,
 * leaving outputpath/last_evaluation_stopped (the step), and the same
 * command run again evaluates that checkpoint, then removes the file. */
#ifndef HEP_STOPPED_EVALUATION_H
#define HEP_STOPPED_EVALUATION_H

/* Records that the evaluation of `step`, the run's last, was stopped. Rank 0. */
void hep_stopped_evaluation_write(const char *outputpath, long step);

/* The step of a stopped last evaluation; -1 when none is recorded (no
 * file, or one that does not hold a step: that is said, and the file left
 * alone). */
long hep_stopped_evaluation_read(const char *outputpath);

/* That evaluation has run, or the run went past its step. Rank 0. */
void hep_stopped_evaluation_remove(const char *outputpath);

#endif
