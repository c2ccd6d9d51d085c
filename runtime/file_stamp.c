/* Data file stamps (see file_stamp.h). */
#define _POSIX_C_SOURCE 200809L
#include "file_stamp.h"

#include <stdio.h>

#include "util.h"

void hep_file_stamp_take(hep_file_stamp *s, const struct stat *st)
{
    *s = (hep_file_stamp){ .known = 1, .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
                           .mtime = st->st_mtim };
}

int hep_file_stamp_same(const hep_file_stamp *was, const struct stat *now)
{
    return !was->known ||
           (now->st_dev == was->dev && now->st_ino == was->ino && now->st_size == was->size &&
            now->st_mtim.tv_sec == was->mtime.tv_sec && now->st_mtim.tv_nsec == was->mtime.tv_nsec);
}

void hep_file_stamp_difference(const hep_file_stamp *was, const struct stat *now, char *out, size_t len)
{
    if (now->st_size != was->size) {
        snprintf(out, len, "its size went from %lld to %lld bytes", (long long)was->size, (long long)now->st_size);
    } else if (now->st_dev != was->dev || now->st_ino != was->ino) {
        snprintf(out, len, "it is now another file of that name");
    } else {
        char when[64];
        hep_time_text((long long)now->st_mtim.tv_sec, when, sizeof when);
        snprintf(out, len, "it was written at %s", when);
    }
}
