/* The training loop: steps of forward, backward, gradient average over
 * ranks, Adam; the seed's report line every display_interval steps;
 * evaluation of the validation files every validation_interval steps and at
 * each epoch end. Data: --dummy_data or the seed's HDF5 files. */
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

/* Returns 0 on success; exits on a fatal error (NaN loss names its step). */
int hep_train(const hep_config *cfg, const char *config_path, const hep_run *run);

/* --mode=test: evaluate a checkpoint on the test files, print the seed's
 * EVALUATION SUMMARY lines, write outputpath/predictions-test.h5. */
int hep_test(const hep_config *cfg, const char *config_path, const hep_run *run);

#endif
