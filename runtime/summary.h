/* TensorBoard summaries (the seed's create_summary: true): rank 0 writes
 * scalar events to outputpath/logs/events.out.tfevents.<time>.<host>.hepcnn,
 * TensorFlow's record format (length, masked CRC-32C, an Event protocol
 * buffer, its CRC), readable by TensorBoard and its Python event reader.
 *
 * One file per outputpath. A restarted run cuts the file after the last
 * event at or before the step it resumes from (the killed run may have
 * logged steps past its checkpoint, which the restart logs again), then
 * appends: steps in the file never repeat or go backwards.
 *
 * A write that fails (a full disk, a quota) is said once as a warning and
 * the run goes on, as with the logs: the file keeps whole records only
 * (record_file.h). */
#ifndef HEP_SUMMARY_H
#define HEP_SUMMARY_H

#include "record_file.h"

typedef struct {
    hep_record_file file;   /* fd -1 when not writing */
} hep_summary;

/* Opens (or creates) the event file; `resumed_step` is the step training
 * continues from (0 for a fresh run). Exits with a message naming the file
 * when it cannot be opened or cut. */
void hep_summary_open(hep_summary *s, const char *outputpath, long resumed_step);
/* One event at `step` with n scalars tags[i] = values[i]. No-op when closed. */
void hep_summary_scalars(hep_summary *s, long step, int n, const char *const *tags, const double *values);
void hep_summary_close(hep_summary *s);

#endif
