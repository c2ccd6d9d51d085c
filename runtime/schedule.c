/* Checkpoint schedule (see schedule.h). */
#include "schedule.h"

int hep_epoch_end(const hep_schedule *s, long step)
{
    return step > 0 && step % s->steps_per_epoch == 0;
}

int hep_checkpoint_due(const hep_schedule *s, long step)
{
    if (step <= 0) return 0;
    if (step == s->total_steps) return 1;
    if (s->save_interval > 0 && hep_epoch_end(s, step) && (step / s->steps_per_epoch) % s->save_interval == 0)
        return 1;
    return s->checkpoint_steps > 0 && step % s->checkpoint_steps == 0;
}

long hep_next_checkpoint(const hep_schedule *s, long after)
{
    long best = 0;
    if (s->checkpoint_steps > 0) best = (after / s->checkpoint_steps + 1) * s->checkpoint_steps;
    if (s->save_interval > 0) {
        long every = s->steps_per_epoch * s->save_interval;
        long epoch_end = (after / every + 1) * every;
        if (best == 0 || epoch_end < best) best = epoch_end;
    }
    return best > 0 && best < s->total_steps ? best : 0;
}
