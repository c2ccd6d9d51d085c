/* TensorBoard summaries (the seed's create_summary: true): rank 0 writes
 * scalar events to outputpath/logs/events.out.tfevents.<time>.<host>.hepcnn,
 * TensorFlow's record format (length, masked CRC-32C, an Event protocol
 * buffer, its CRC), readable by TensorBoard and its Python event reader.
 *
 * One file per outputpath. A restarted run cuts the file after the last
 * event at or before the step it resumes from (the killed run may have
 * logged steps past its checkpoint, which the restart logs again), then
 * appends: steps in the file never repeat or go backwards. */
#ifndef HEP_SUMMARY_H
#define HEP_SUMMARY_H

typedef struct {
    void *file;           /* FILE*, NULL when not writing */
    char path[4400];
} hep_summary;

/* Opens (or creates) the event file; `resumed_step` is the step training
 * continues from (0 for a fresh run). Exits with a message naming the file
 * on an I/O error. */
void hep_summary_open(hep_summary *s, const char *outputpath, long resumed_step);
/* One event at `step` with n scalars tags[i] = values[i]. No-op when closed. */
void hep_summary_scalars(hep_summary *s, long step, int n, const char *const *tags, const double *values);
void hep_summary_close(hep_summary *s);

#endif
