/* One run per outputpath: rank 0 of a training run holds an exclusive
 * flock(2) on outputpath/.hepcnn.lock for its whole life. The kernel drops
 * the lock when the process ends however it ends, so a lock left by a
 * killed run never blocks the next one. The file records who holds it
 * (host, pid, SLURM job, start time) for the message of a run refused. */
#ifndef HEP_LOCK_H
#define HEP_LOCK_H

typedef struct {
    int fd;      /* -1: not held */
} hep_lock;

/* Takes the lock or exits naming the holder. Where the file system does
 * not support locks, warns and goes on unprotected. */
void hep_lock_outputpath(hep_lock *lock, const char *outputpath);
void hep_lock_release(hep_lock *lock);

#endif
