/* Logs (see log.h). */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void hep_log_open(hep_log *log, const char *outputpath, int rank)
{
    *log = (hep_log){ .rank0 = rank == 0, .text = { .fd = -1 }, .metrics = { .fd = -1 } };
    if (rank != 0) return;
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/logs", outputpath);
    if (hep_mkdirs(dir) != 0) hep_fatal("cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/train.log", dir);
    if (hep_record_file_open(&log->text, path, -1, "the report lines go on to standard output only") != 0)
        hep_fatal("cannot open %s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    if (hep_record_file_open(&log->metrics, path, -1,
                             "its records from here on are lost (a resumed run's loss curves will miss them)") != 0)
        hep_fatal("cannot open %s: %s", path, strerror(errno));
}

void hep_log_close(hep_log *log)
{
    hep_record_file_close(&log->text);
    hep_record_file_close(&log->metrics);
}

/* Appends before, fmt's text and after to f, as one record. */
static void append(hep_record_file *f, const char *before, const char *after, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    const size_t total = strlen(before) + (n > 0 ? (size_t)n : 0) + strlen(after);
    char *record = hep_xmalloc(total + 1, "a log line");
    strcpy(record, before);
    if (n > 0) vsnprintf(record + strlen(before), (size_t)n + 1, fmt, again);
    strcpy(record + total - strlen(after), after);
    va_end(again);
    hep_record_file_write(f, record, total);
    free(record);
}

void hep_log_line(hep_log *log, const char *fmt, ...)
{
    if (!log->rank0) return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    va_start(ap, fmt);
    append(&log->text, "", "", fmt, ap);
    va_end(ap);
}

void hep_log_record(hep_log *log, const char *fmt, ...)
{
    if (!log->rank0) return;
    va_list ap;
    va_start(ap, fmt);
    append(&log->metrics, "{", "}\n", fmt, ap);
    va_end(ap);
}
