/* Reading an HDF5 file again while its file system fails (see h5retry.h). */
#include "h5retry.h"

#include <stdio.h>
#include <string.h>

#include "h5syserr.h"
#include "signals.h"
#include "util.h"

/* The stop signal's name once one came (signals.h), else NULL. */
static const char *stop_signalled(void)
{
    const int sig = hep_stop_signal();
    return sig ? hep_signal_name(sig) : NULL;
}

int hep_wait_to_read_again(const char *doing, const char *why, int *tries, unsigned *waited)
{
    return hep_wait_to_retry_unless(doing, why, tries, waited, stop_signalled);
}

int hep_h5_read_retrying(const char *path, const char *what, hep_h5_attempt *attempt, void *job, int *os_err,
                         char *err, size_t errlen)
{
    int tries = 0, rc;
    unsigned waited = 0;
    char doing[4200], why[200];
    for (;;) {
        rc = attempt(job, os_err, err, errlen);
        if (rc == 0 || !hep_errno_transient(*os_err)) *os_err = 0;   /* attempt's err says it */
        if (rc == 0 || *os_err == 0) return rc;
        snprintf(doing, sizeof doing, "reading %s", path);
        snprintf(why, sizeof why, "the file system: %s", strerror(*os_err));
        if (!hep_wait_to_read_again(doing, why, &tries, &waited)) break;
    }
    char times[24];
    snprintf(err, errlen, "%s: reading it failed in the file system (%s), %s over %u s: the %s itself may be "
             "intact. When its file system works again, run the same command again", path, strerror(*os_err),
             hep_times(tries + 1, times), waited, what);
    return rc;
}
