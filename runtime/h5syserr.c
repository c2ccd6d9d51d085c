/* The errno behind a failed HDF5 call (see h5syserr.h). */
#include "h5syserr.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static herr_t find_errno(unsigned depth, const H5E_error2_t *e, void *found)
{
    (void)depth;
    const char *at = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (at && atoi(at + 8) > 0) *(int *)found = atoi(at + 8);
    return 0;
}

static int errno_on(hid_t stack)
{
    int found = 0;
    if (H5Ewalk2(stack, H5E_WALK_DOWNWARD, find_errno, &found) < 0) return 0;
    return found;
}

int hep_h5_system_errno(void)
{
    return errno_on(H5E_DEFAULT);
}

/* HDF5 calls this as a failing API call returns, with its stack intact:
 * the place to read the errno before the caller's clean-up calls clear it. */
static herr_t keep_first_errno(hid_t stack, void *first)
{
    if (*(int *)first == 0) *(int *)first = errno_on(stack);
    return 0;
}

void hep_h5_watch_errno(int *first)
{
    *first = 0;
    H5Eset_auto2(H5E_DEFAULT, keep_first_errno, first);
}

void hep_h5_unwatch_errno(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

int hep_errno_transient(int e)
{
    switch (e) {
    case EIO: case ETIMEDOUT: case ESTALE: case ENOTCONN: case ECONNRESET: case ECONNABORTED: case EHOSTDOWN:
    case EHOSTUNREACH: case ENETDOWN: case ENETUNREACH: case ENETRESET: case ENOLINK: case EREMOTEIO:
        return 1;
    default:
        return 0;
    }
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
        if (!hep_wait_to_retry(doing, why, &tries, &waited)) break;
    }
    snprintf(err, errlen, "%s: reading it failed in the file system (%s), %d times over %u s: the %s itself may be "
             "intact. When its file system works again, run the same command again", path, strerror(*os_err),
             tries + 1, waited, what);
    return rc;
}
