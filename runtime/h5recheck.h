/* A data file that changed while the run reads it (file_stamp.h): does it
 * still hold the events loaded when the run started? */
#ifndef HEP_H5RECHECK_H
#define HEP_H5RECHECK_H

#include "h5files.h"

/* `now` differs from *seen, the stamp the reader last found the file
 * `loaded` with. 0 when the file still holds the same events (as many rows,
 * the same labels, weights and psr: a `touch` to keep a scratch purge away,
 * a copy of the same file), and *seen becomes `now`; -1 with err saying
 * what changed when its size did (its images may be cut short or moved) or
 * its events did. */
int hep_h5file_recheck(const hep_h5file *loaded, const hep_model_info *info, hep_file_stamp *seen,
                       const struct stat *now, char *err, size_t errlen);

#endif
