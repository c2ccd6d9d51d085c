/* Reading an HDF5 file again when the file system, not the file, failed
 * it (see h5syserr.h for how the two are told apart). */
#ifndef HEP_H5RETRY_H
#define HEP_H5RETRY_H

#include <stddef.h>

/* hep_wait_to_retry (util.h) for a read the run waits on: a stop signal
 * (signals.h) cuts its wait short and ends its tries, saying so. A run
 * asked to stop (SLURM's time limit, scancel) then writes its checkpoint
 * or ends at once, instead of sitting out minutes of waits for data it
 * will not use, or being killed in them. */
int hep_wait_to_read_again(const char *doing, const char *why, int *tries, unsigned *waited);

/* Reads HDF5 file `path` by attempt(job, os_err, err, errlen), which
 * returns 0, or non-zero with err and, in *os_err, the errno of the file
 * system's failure behind it (0 when none: the file is what is wrong; see
 * hep_h5_watch_errno). One the file system failed (hep_errno_transient)
 * is tried again at hep_wait_to_read_again's waits (1, 4 and 16 s). Returns attempt's last
 * result; *os_err is non-zero when that failed in the file system, and err
 * then says so, with `what` ("file", "checkpoint") as what may be intact. */
typedef int hep_h5_attempt(void *job, int *os_err, char *err, size_t errlen);
int hep_h5_read_retrying(const char *path, const char *what, hep_h5_attempt *attempt, void *job, int *os_err,
                         char *err, size_t errlen);

#endif
