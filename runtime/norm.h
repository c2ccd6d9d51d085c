/* Per-channel normalisation of the input images: divide by the maximum over
 * the training sample (all ranks agree through a collective max). Computed
 * once per dataset and kept in outputpath/normalization.json with the list
 * of training files it came from, so that validation, test and a restarted
 * run use the same values. */
#ifndef HEP_NORM_H
#define HEP_NORM_H

#include <mpi.h>
#include <model.h>
#include "h5files.h"

/* Fills channel_max [C]: from outputpath/normalization.json when it was made
 * from the same training files, otherwise by a pass over the data (rank 0
 * then writes the file atomically). Exits with a message on error. */
void hep_normalization(MPI_Comm comm, const char *outputpath, const hep_h5file *train, int ntrain,
                       const hep_model_info *info, int rank, int size, float *channel_max);

#endif
