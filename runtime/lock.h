/* One run per outputpath: rank 0 of a training run holds an exclusive
 * flock(2) on outputpath/.hepcnn.lock for its whole life. The kernel drops
 * the lock when the process ends however it ends, so a lock left by a
 * killed run never blocks the next one. The file records who holds it
 * (host, pid, SLURM job, start time) for the message of a run refused. */
#ifndef HEP_LOCK_H
#define HEP_LOCK_H

typedef struct {
    int fd;              /* -1: none (other ranks, test mode); open but unlocked where locks fail */
    char path[4200];     /* outputpath/.hepcnn.lock */
} hep_lock;

/* Takes the lock or exits naming the holder. Where the file system does
 * not support locks, warns and goes on unprotected from a second run (the
 * file is still kept open for hep_lock_check). */
void hep_lock_outputpath(hep_lock *lock, const char *outputpath);
void hep_lock_release(hep_lock *lock);

/* Before this run writes `what` of step `step` (a checkpoint, a report
 * line, plots): exits if the lock file at its path is no longer the one
 * it holds. A folder removed or moved while the run goes on (by hand, or a
 * scratch purge) takes the lock with it; a second run could then lock a
 * new file there, and both would write checkpoints into one models
 * folder. No-op where no lock file is open. */
void hep_lock_check(const hep_lock *lock, const char *what, long step);

#endif
