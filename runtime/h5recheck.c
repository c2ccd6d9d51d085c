/* Data files that changed under a run (see h5recheck.h). */
#define _POSIX_C_SOURCE 200809L
#include "h5recheck.h"

#include <stdio.h>
#include <string.h>

/* The first difference between the events of a and b, in words; 0 when
 * there is none. */
static int events_differ(const hep_h5file *a, const hep_h5file *b, char *what, size_t len)
{
    if (a->rows != b->rows) return snprintf(what, len, "it has %ld rows, %ld before", b->rows, a->rows), 1;
    if ((a->psr == NULL) != (b->psr == NULL))
        return snprintf(what, len, "its dataset 'psr' is %s", b->psr ? "new" : "gone"), 1;
    for (long i = 0; i < a->rows; i++) {
        if (a->label[i] != b->label[i])
            return snprintf(what, len, "label[%ld] was %d, is now %d", i, a->label[i], b->label[i]), 1;
        if (memcmp(&a->weight[i], &b->weight[i], sizeof(float)) ||
            memcmp(&a->normweight[i], &b->normweight[i], sizeof(float)))
            return snprintf(what, len, "the weights of row %ld are not those read before", i), 1;
        if (a->psr && memcmp(&a->psr[i], &b->psr[i], sizeof(float)))
            return snprintf(what, len, "psr[%ld] is not the one read before", i), 1;
    }
    return 0;
}

/* Whether the file read again holds the events `loaded` has; if not,
 * what differs as "; <words>" into what. */
static int same_events(const hep_h5file *loaded, const hep_model_info *info, char *what, size_t len)
{
    hep_h5file again;
    char reread[1024];
    if (hep_h5file_load(&again, loaded->path, info, reread, sizeof reread) != 0) {
        snprintf(what, len, "; reading it again: %s", reread);
        return 0;
    }
    char diff[256];
    int same = !events_differ(loaded, &again, diff, sizeof diff);
    if (!same) snprintf(what, len, "; %s", diff);
    hep_h5file_free(&again);
    return same;
}

int hep_h5file_recheck(const hep_h5file *loaded, const hep_model_info *info, hep_file_stamp *seen,
                       const struct stat *now, char *err, size_t errlen)
{
    char change[160], what[1100] = "";
    if (now->st_size == seen->size && same_events(loaded, info, what, sizeof what)) {
        hep_file_stamp_take(seen, now);
        return 0;
    }
    hep_file_stamp_difference(seen, now, change, sizeof change);
    snprintf(err, errlen, "%s changed while this run was reading it (%s%s): its images may no longer match the "
             "labels and weights read when the run started. Stopping; when the file is as it should be, run again "
             "to go on from the newest checkpoint", loaded->path, change, what);
    return -1;
}
