/* The errno behind a failed HDF5 call (see h5syserr.h). */
#include "h5syserr.h"

#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

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

int hep_h5_watched_errno(void)
{
    H5E_auto2_t handler = NULL;
    void *first = NULL;
    if (H5Eget_auto2(H5E_DEFAULT, &handler, &first) < 0 || handler != keep_first_errno || !first) return 0;
    return *(int *)first;
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
