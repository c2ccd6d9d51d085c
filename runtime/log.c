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
    log->text = log->metrics = NULL;
    if (rank != 0) return;
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/logs", outputpath);
    if (hep_mkdirs(dir) != 0) hep_fatal("cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/train.log", dir);
    if (!(log->text = fopen(path, "a"))) hep_fatal("cannot open %s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    if (!(log->metrics = fopen(path, "a"))) hep_fatal("cannot open %s: %s", path, strerror(errno));
}

void hep_log_close(hep_log *log)
{
    if (log->text && fclose(log->text) != 0) hep_fatal("closing train.log failed: %s", strerror(errno));
    if (log->metrics && fclose(log->metrics) != 0) hep_fatal("closing metrics.jsonl failed: %s", strerror(errno));
    log->text = log->metrics = NULL;
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
    fflush(log->text);
}

void hep_log_record(hep_log *log, const char *fmt, ...)
{
    if (!log->metrics) return;
    va_list ap;
    va_start(ap, fmt);
    fputc('{', log->metrics);
    vfprintf(log->metrics, fmt, ap);
    fputs("}\n", log->metrics);
    fflush(log->metrics);
    va_end(ap);
}
