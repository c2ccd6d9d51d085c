/* The errno behind a failed HDF5 call (see h5syserr.h). */
#include "h5syserr.h"

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

int hep_h5_system_errno(void)
{
    int found = 0;
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_errno, &found) < 0) return 0;
    return found;
}
