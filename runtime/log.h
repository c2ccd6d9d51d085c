/* What a run prints for people: the report lines go to stdout and, on rank
 * 0, also to outputpath/logs/train.log; machine-readable records go to
 * outputpath/logs/metrics.jsonl (one JSON object per line). Both files are
 * appended to, so a restarted run continues them. A write that fails (a
 * full disk, a quota) is said once as a warning and the run goes on, the
 * file kept to whole lines (record_file.h): the report lines are on stdout
 * too, and a checkpoint that cannot be written stops the run with its own
 * error. */
#ifndef HEP_LOG_H
#define HEP_LOG_H

#include "record_file.h"

typedef struct {
    int rank0;                 /* rank 0, the one that prints and writes */
    hep_record_file text;      /* train.log */
    hep_record_file metrics;   /* metrics.jsonl */
} hep_log;

void hep_log_open(hep_log *log, const char *outputpath, int rank);
void hep_log_close(hep_log *log);
/* printf to stdout and train.log (rank 0 only; other ranks print nothing) */
void hep_log_line(hep_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* one JSON object (the text between the braces) to metrics.jsonl */
void hep_log_record(hep_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
