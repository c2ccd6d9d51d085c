/* When a checkpoint is due: the one definition workers and parameter
 * servers share, so that every rank of a run agrees on it.
 *
 * A checkpoint is written
 *   - at the run's last step (total_steps: the planned end, or the step a
 *     signal stopped the run at);
 *   - at an epoch end, every save_interval epochs (the seed's key);
 *   - every checkpoint_steps steps (0: never), mid-epoch included;
 *   - when checkpoint_minutes have passed since the last one (a clock, so
 *     not a function of the step: rank 0 decides and the others follow, see
 *     train.c and ps.c);
 *   - when a signal asks the run to stop (then it is the last step).
 * Steps count from 1: step s is the state after s updates. */
#ifndef HEP_SCHEDULE_H
#define HEP_SCHEDULE_H

typedef struct {
    long steps_per_epoch;
    long total_steps;
    int save_interval;        /* epochs; 0: only the other triggers */
    long checkpoint_steps;    /* 0: none */
} hep_schedule;

/* Is a checkpoint due at `step` by the step-based rules? */
int hep_checkpoint_due(const hep_schedule *s, long step);

/* The first step after `after` at which one is due before the last step,
 * or 0 when none is (the last step always has one). */
long hep_next_checkpoint(const hep_schedule *s, long after);

/* Is a checkpoint at `step` an epoch end's (kept when older mid-epoch ones
 * are removed)? */
int hep_epoch_end(const hep_schedule *s, long step);

/* Does (from, to] contain a multiple of `every` (every > 0)? Steps may
 * jump by more than one in parameter-server mode. */
static inline int hep_crossed(long every, long from, long to)
{
    return every > 0 && from / every != to / every;
}

#endif
