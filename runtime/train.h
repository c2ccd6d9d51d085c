/* The training loop: steps of forward, backward, gradient average over
 * ranks, Adam; the seed's report line every display_interval steps;
 * checkpoints (schedule.h); evaluation of the validation files every
 * validation_interval steps and at each epoch end; a clean stop on a signal
 * (signals.h). Data: --dummy_data or the seed's HDF5 files. */
#ifndef HEP_TRAIN_H
#define HEP_TRAIN_H

#include "config.h"

#include <mpi.h>

/* This process's place in the job. Workers compute; with --num_ps=N the
 * last N ranks are parameter servers instead. rank and size are within the
 * workers' communicator (rank 0: logs and checkpoints). */
typedef struct {
    MPI_Comm comm;             /* the workers */
    int rank, size, num_workers;
    int world_rank, world_size, num_ps;
    int threads;
    int batch;                 /* images per rank per step */
} hep_run;

/* Returns the exit status: 0 when the run is done, HEP_EXIT_STOPPED when a
 * signal stopped it (after its checkpoint). Exits on a fatal error (a NaN
 * loss names its step). */
int hep_train(const hep_config *cfg, const char *config_path, const hep_run *run);

#endif
