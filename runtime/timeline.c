/* Chrome trace writer (see timeline.h): the JSON array format. */
#include "timeline.h"

#include <errno.h>

#include "util.h"

int hep_timeline_open(hep_timeline *t, const char *path)
{
    t->f = fopen(path, "w");
    t->events = 0;
    t->origin = hep_wall_seconds();
    if (!t->f) return -1;
    fputs("[\n", t->f);
    return 0;
}

void hep_timeline_event(hep_timeline *t, const char *name, const char *category, double start, double seconds)
{
    if (!t->f) return;
    fprintf(t->f, "%s{\"name\": \"%s\", \"cat\": \"%s\", \"ph\": \"X\", \"pid\": 0, \"tid\": 0, "
                  "\"ts\": %.1f, \"dur\": %.1f}", t->events++ ? ",\n" : "", name, category,
            (start - t->origin) * 1e6, seconds * 1e6);
}

int hep_timeline_close(hep_timeline *t)
{
    if (!t->f) return 0;
    fputs("\n]\n", t->f);
    int err = ferror(t->f) || fflush(t->f) != 0 ? (errno ? errno : EIO) : 0;
    if (fclose(t->f) != 0 && !err) err = errno;   /* a network file system may say a write failed only here */
    t->f = NULL;
    return err;
}
