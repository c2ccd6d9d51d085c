/* Small helpers shared by the runtime: checked allocation and error
 * reporting that names where it happened. */
#ifndef HEP_UTIL_H
#define HEP_UTIL_H

#include <stddef.h>

/* Print "hepcnn: error: ..." to stderr and end the job (MPI_Abort when MPI
 * runs with more than one rank, exit(1) otherwise). Ranks other than 0 wait
 * 5 s first, so that an error every rank meets is printed once, by rank 0. */
void hep_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *hep_xmalloc(size_t bytes, const char *what);
/* hep_xmalloc for a large buffer that steps stream through (the read
 * window, batches, Adam's moments): 2 MiB-aligned and in transparent huge
 * pages where the kernel offers them, as the model's arena is (see
 * docs/DESIGN.md, "Memory"). Freed with free(). */
void *hep_xmalloc_large(size_t bytes, const char *what);
/* Ends the run after writing `path` (`what`: "checkpoint", "predictions", ...) failed: removes its temporary file
 * `tmp` (NULL: none), and says why where it can: `err` (an errno, 0 when
 * unknown) or, when the file system has less than `need_bytes` (at least
 * 1 MiB) free, how much it has. `kept` ends the message (what is unchanged;
 * NULL: nothing). */
void hep_write_failed(const char *what, const char *path, const char *tmp, int err, double need_bytes,
                      const char *kept) __attribute__((noreturn));
/* After try *tries of `doing` ("reading rows 0..47 of data/x.h5") failed
 * (`why`): says so as a warning, waits and returns 1 while tries are left,
 * else returns 0; *waited sums the waits. The waits, 1, 4 and 16 s, or
 * those of HEPCNN_IO_RETRY_WAITS ("1,4,16"; a site whose file system fails
 * over more slowly sets longer ones), are for a network file system's
 * client that lost its server (a Lustre eviction, a failover): it fails
 * I/O for seconds, then serves it again. */
int hep_wait_to_retry(const char *doing, const char *why, int *tries, unsigned *waited);
/* hep_wait_to_retry, but while stopping() returns a reason (non-NULL) no
 * try is waited for or made: it returns 0 at once, or as soon as the
 * reason comes during the wait, with a warning naming the reason. */
int hep_wait_to_retry_unless(const char *doing, const char *why, int *tries, unsigned *waited,
                             const char *(*stopping)(void));
/* "once" or "N times" (for messages), in buf. */
const char *hep_times(int n, char buf[24]);
/* Ends the run naming HEPCNN_IO_RETRY_WAITS when it is set to no list of
 * waits: called at the start, before a wait needs it. */
void hep_check_retry_waits(void);
/* Whether the file system of `path`'s folder has less than about need_bytes
 * (at least 1 MiB) free; *free_mib gets what it has. */
int hep_room_short(const char *path, double need_bytes, double *free_mib);
/* Whether a write of about need_bytes to `path` that failed with errno
 * `err` met a full disk, a quota or a size limit, which stay: no reason to
 * write it again (hep_wait_to_retry is for the other failures). */
int hep_write_cannot_fit(const char *path, double need_bytes, int err);
/* mkdir -p; returns 0 or -1 with errno set */
int hep_mkdirs(const char *path);
double hep_wall_seconds(void);
/* `t` as local time, "2026-12-05 00:44:28 UTC", for messages and records. */
void hep_time_text(long long t, char *out, size_t len);

#endif
