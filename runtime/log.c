/* Logs (see log.h). */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

void hep_log_open(hep_log *log, const char *outputpath, int rank)
{
    *log = (hep_log){ 0 };
    if (rank != 0) return;
    char path[4300];
    snprintf(log->dir, sizeof log->dir, "%s/logs", outputpath);
    if (hep_mkdirs(log->dir) != 0) hep_fatal("cannot create %s: %s", log->dir, strerror(errno));
    snprintf(path, sizeof path, "%s/train.log", log->dir);
    if (!(log->text = fopen(path, "a"))) hep_fatal("cannot open %s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/metrics.jsonl", log->dir);
    if (!(log->metrics = fopen(path, "a"))) hep_fatal("cannot open %s: %s", path, strerror(errno));
}

/* Says once that writing `name` failed (errno says why). */
static void warn_once(const hep_log *log, const char *name, int *failed, const char *consequence)
{
    if (!*failed)
        fprintf(stderr, "hepcnn: warning: writing %s/%s failed (%s): %s\n", log->dir, name, strerror(errno),
                consequence);
    *failed = 1;
}

static const char *const TEXT_LOST = "the report lines go on to standard output only";
static const char *const RECORDS_LOST = "its records from here on are lost (a resumed run's loss curves will miss them)";

void hep_log_close(hep_log *log)
{
    if (log->text && fclose(log->text) != 0) warn_once(log, "train.log", &log->text_failed, TEXT_LOST);
    if (log->metrics && fclose(log->metrics) != 0)
        warn_once(log, "metrics.jsonl", &log->metrics_failed, RECORDS_LOST);
    log->text = log->metrics = NULL;
}

/* Flushes f; a failed write is said once, and the file's error state
 * cleared so that a later write may succeed (room made meanwhile). */
static void flush(hep_log *log, FILE *f, const char *name, int *failed, const char *consequence)
{
    if (fflush(f) != 0 || ferror(f)) warn_once(log, name, failed, consequence);
    clearerr(f);
}

void hep_log_line(hep_log *log, const char *fmt, ...)
{
    if (!log->text) return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    va_start(ap, fmt);
    vfprintf(log->text, fmt, ap);
    va_end(ap);
    flush(log, log->text, "train.log", &log->text_failed, TEXT_LOST);
}

void hep_log_record(hep_log *log, const char *fmt, ...)
{
    if (!log->metrics) return;
    va_list ap;
    va_start(ap, fmt);
    fputc('{', log->metrics);
    vfprintf(log->metrics, fmt, ap);
    fputs("}\n", log->metrics);
    va_end(ap);
    flush(log, log->metrics, "metrics.jsonl", &log->metrics_failed, RECORDS_LOST);
}
