/* The operating system's error behind a failed HDF5 call. HDF5's POSIX
 * driver puts a failed read's errno into the text of its error stack
 * ("file read failed: ..., errno = 5, error message = 'Input/output
 * error', ..."). A file system that fails (a Lustre client evicted, a
 * network file server gone for a while) is then told apart from a file
 * that is damaged, which fails in HDF5's decoding with no errno. */
#ifndef HEP_H5SYSERR_H
#define HEP_H5SYSERR_H

#include <stddef.h>

/* The errno of the last system call failure on the calling thread's HDF5
 * error stack, or 0 when there is none. Call before the next HDF5 call
 * (which clears the stack), under the HDF5 lock where there is one. */
int hep_h5_system_errno(void);

/* For a job of many HDF5 calls (loading a file), where the failing call
 * is one of dozens: from hep_h5_watch_errno until hep_h5_unwatch_errno, on
 * this thread, *first gets the errno behind the first failed HDF5 call
 * that has one (it starts at 0). HDF5 prints nothing meanwhile, nor after. */
void hep_h5_watch_errno(int *first);
void hep_h5_unwatch_errno(void);

/* What the watch on this thread has kept so far: 0 when it has seen no
 * errno, or when no watch is on. For a program that reads a file by many
 * calls and stops at the first that fails (hepcnn-export). */
int hep_h5_watched_errno(void);

/* Whether errno `e` is one a file system gives while it cannot reach its
 * storage (EIO, a timeout, a stale handle, a network down), which passes
 * when it can again. Others (a lock another program holds, an offset past
 * what the system takes from a damaged file's header) are no cause to
 * read again. */
int hep_errno_transient(int e);

#endif
