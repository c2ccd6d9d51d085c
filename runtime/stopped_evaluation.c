/* The run's last evaluation, when a stop signal cut it short (see
 * stopped_evaluation.h). */
#define _POSIX_C_SOURCE 200809L
#include "stopped_evaluation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void record_path(const char *outputpath, char *path, size_t cap)
{
    snprintf(path, cap, "%s/last_evaluation_stopped", outputpath);
}

void hep_stopped_evaluation_write(const char *outputpath, long step)
{
    static const char what[] = "the record of the stopped last evaluation", kept[] = "the checkpoints are unchanged";
    char path[4300], tmp[4400];
    record_path(outputpath, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) hep_write_failed(what, path, NULL, errno, 0, kept);
    if (fprintf(f, "%ld\nThe evaluation of step %ld, the run's last, was stopped before its end. Running the same "
                   "command again evaluates that step's checkpoint and removes this file.\n", step, step) < 0 ||
        fflush(f) != 0 || fsync(fileno(f)) != 0) {
        const int err = errno;
        fclose(f);
        hep_write_failed(what, path, tmp, err, 0, kept);
    }
    if (fclose(f) != 0) hep_write_failed(what, path, tmp, errno, 0, kept);
    if (rename(tmp, path) != 0) hep_fatal("cannot rename %s to %s: %s", tmp, path, strerror(errno));
}

long hep_stopped_evaluation_read(const char *outputpath)
{
    char path[4300], line[64] = "";
    record_path(outputpath, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT) printf("hepcnn: note: cannot read %s (%s): no stopped evaluation is redone\n", path,
                                    strerror(errno));
        return -1;
    }
    const int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *end;
    errno = 0;
    long step = got ? strtol(line, &end, 10) : -1;
    if (!got || errno || end == line || (*end != '\n' && *end != '\0') || step <= 0) {
        printf("hepcnn: note: %s does not start with a step number: not hepcnn's record of a stopped evaluation, "
               "left alone\n", path);
        return -1;
    }
    return step;
}

void hep_stopped_evaluation_remove(const char *outputpath)
{
    char path[4300];
    record_path(outputpath, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT) hep_fatal("cannot remove %s: %s", path, strerror(errno));
}
