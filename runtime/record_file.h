/* A file a run appends records to and can go on without: train.log and
 * metrics.jsonl (a line each) and TensorBoard's event file (a TFRecord
 * each). Each record goes in with one write. One that fails (a full disk, a
 * quota) is cut off again, so that the file holds whole records only: a
 * JSON-lines reader, or TensorBoard's, stops at a damaged one and would
 * lose everything after it, a resumed run's records too. The failure is
 * said once, as a warning, and later records are tried again (room may
 * have been made meanwhile). */
#ifndef HEP_RECORD_FILE_H
#define HEP_RECORD_FILE_H

#include <stddef.h>

typedef struct {
    int fd;                   /* -1 when closed */
    long long end;            /* where its whole records end */
    int failed;               /* a write failed: said once, on stderr */
    const char *consequence;  /* what a failure costs, for the warning */
    char path[4400];
} hep_record_file;

/* Opens `path` for appending, creating it, after cutting it at `cut_at`
 * bytes (-1: keeps it all). Returns 0, or -1 with errno set. */
int hep_record_file_open(hep_record_file *f, const char *path, long long cut_at, const char *consequence);
/* Appends one whole record, or nothing (then warns, once). Returns 0, or -1. */
int hep_record_file_write(hep_record_file *f, const void *record, size_t n);
/* Closes it (a no-op when closed; a failure is warned about). */
void hep_record_file_close(hep_record_file *f);

#endif
