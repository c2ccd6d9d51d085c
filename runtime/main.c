/* hepcnn training binary: command line, checks, then the training loop.
 * One binary per network and arch (bin/<net>-<arch>); an MPI program that
 * also runs as a single rank without mpirun. */
#define _POSIX_C_SOURCE 200809L   /* setenv */
#include <errno.h>
#include <hdf5.h>
#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <model.h>
#include "config.h"
#include "evaluate.h"
#include "h5guard.h"
#include "ps.h"
#include "train.h"
#include "util.h"

static const char *config_path(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--config=", 9)) return argv[i] + 9;
    return "(no config)";
}

/* Every rank exits with rank 0's status, and only once rank 0 is done (its
 * last checkpoint written): under srun --kill-on-bad-exit a rank that left
 * first with a non-zero status would have the others killed. */
static int finalize(int status)
{
    if (MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS) hep_fatal("MPI_Bcast of the exit status failed");
    H5close();   /* HDF5 does not close itself at exit here (main) */
    MPI_Finalize();
    return status;
}

/* The job's settings (from the command line or the config file at path)
 * against what MPI started; each error says where the value came from. */
static void check_job(const hep_config *cfg, const char *path, int size)
{
    char where[160];
#define FROM(key) hep_config_source(cfg, key, path, where, sizeof where)
    if (cfg->num_tasks > 0 && cfg->num_tasks != size)
        hep_fatal("%s: num_tasks = %d, but MPI started %d rank(s)", FROM("num_tasks"), cfg->num_tasks, size);
    if (cfg->num_ps >= size)
        hep_fatal("%s: num_ps = %d leaves no workers: MPI started %d rank(s) (parameter servers are the last ranks)",
                  FROM("num_ps"), cfg->num_ps, size);
    if (cfg->num_ps > 0 && cfg->num_hot_spares >= size - cfg->num_ps)
        hep_fatal("%s: num_hot_spares = %d must be less than the %d worker(s)", FROM("num_hot_spares"),
                  cfg->num_hot_spares, size - cfg->num_ps);
    if (!strcmp(cfg->mode, "test") && cfg->num_ps > 0)
        hep_fatal("%s: num_ps = %d, but --mode=test runs without parameter servers (num_ps = 0)", FROM("num_ps"),
                  cfg->num_ps);
#undef FROM
}

/* Workers are ranks 0 .. size-num_ps-1; the rest are parameter servers.
 * Threads per rank: OMP_NUM_THREADS when set, otherwise SLURM's
 * --cpus-per-task (srun -c), otherwise OpenMP's default (all cores). */
static hep_run place(const hep_config *cfg, int rank, int size)
{
    const char *slurm_cpus = getenv("SLURM_CPUS_PER_TASK");
    if (!getenv("OMP_NUM_THREADS") && slurm_cpus && atoi(slurm_cpus) > 0) omp_set_num_threads(atoi(slurm_cpus));
    const int workers = size - cfg->num_ps;
    hep_run run = { .world_rank = rank, .world_size = size, .num_ps = cfg->num_ps, .num_workers = workers,
                    .threads = omp_get_max_threads() };
    if (MPI_Comm_split(MPI_COMM_WORLD, rank >= workers, rank, &run.comm) != MPI_SUCCESS)
        hep_fatal("MPI_Comm_split failed");
    MPI_Comm_rank(run.comm, &run.rank);
    MPI_Comm_size(run.comm, &run.size);
    return run;
}

static int worker_batch(const hep_config *cfg, const char *path, int workers)
{
    if (cfg->batch_size_per_node) return cfg->train_batch_size;
    char where[160];
    if (cfg->train_batch_size % workers != 0)
        hep_fatal("%s: train_batch_size = %d is global (batch_size_per_node: false) and must divide evenly "
                  "over %d workers", hep_config_source(cfg, "train_batch_size", path, where, sizeof where),
                  cfg->train_batch_size, workers);
    return cfg->train_batch_size / workers;
}

/* Rank 0's: outputpath made and writable, and a note where the config names
 * another arch. An existing folder of another user's (a shared project's
 * run) is named here as the key's value, not later as the lock file. */
static void prepare_output(const hep_config *cfg, const char *path, const hep_model_info *info)
{
    char where[160];
    if (hep_mkdirs(cfg->outputpath) != 0)
        hep_fatal("%s: cannot create outputpath '%s': %s",
                  hep_config_source(cfg, "outputpath", path, where, sizeof where), cfg->outputpath, strerror(errno));
    if (access(cfg->outputpath, W_OK | X_OK) != 0)
        hep_fatal("%s: outputpath '%s' is not writable by this user (%s): give an --outputpath of your own",
                  hep_config_source(cfg, "outputpath", path, where, sizeof where), cfg->outputpath, strerror(errno));
    if (hep_config_given(cfg, "arch") && strcmp(cfg->arch, info->arch) != 0)
        printf("hepcnn: note: the config says arch \"%s\"; this binary is built for %s\n", cfg->arch, info->arch);
}

int main(int argc, char **argv)
{
    int provided, rank = 0, size = 1;
    /* No HDF5 clean-up at exit: after a failed write (a full disk) the
     * library's own, run by exit() in hep_fatal, closed the broken file
     * again and crashed (SIGSEGV in H5F__close_cb, exit status 139 after the
     * error message). A normal end closes HDF5 in finalize(). */
    if (H5dont_atexit() < 0) {
        fprintf(stderr, "hepcnn: error: H5dont_atexit failed\n");
        return 1;
    }
    /* The usage and the config before MPI: run without a launcher,
     * MPI_Init starts OpenMPI's orted, a third of a second before the first
     * line, and on a node where MPI cannot start its message would hide
     * the config's. Every rank reads and checks the config, so a rank that
     * finds a mistake in it says so and exits 1, as each did after MPI. */
    if (hep_config_help(argc, argv)) return 0;
    const hep_model_info *info = hep_model_info_get();
    const char *path = config_path(argc, argv);
    hep_config cfg;
    hep_config_load(&cfg, argc, argv);
    hep_config_check_network(&cfg, path, info);
    hep_check_retry_waits();
    /* Started without a launcher (one rank, no mpirun or srun), OpenMPI
     * would start its orted helper and a PMIx client whose security plugin
     * asks munge for a credential: on a node where munge is installed but
     * its daemon is down, that retried for 2.5 s before every run. One rank
     * needs neither. Only a singleton reads this variable, so a launcher's
     * job is unchanged, and a value the user set is kept. */
    if (setenv("OMPI_MCA_ess_singleton_isolated", "1", 0) != 0)
        hep_fatal("setenv OMPI_MCA_ess_singleton_isolated: %s", strerror(errno));
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "hepcnn: error: MPI_Init_thread failed\n");
        return 1;
    }
    hep_h5_guard_install("hepcnn: error: ");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        hep_config_notes(&cfg, path);
        hep_config_network_notes(&cfg, info);
    }
    check_job(&cfg, path, size);
    hep_run run = place(&cfg, rank, size);
    if (rank >= run.num_workers) {
        hep_ps_layout layout = { .workers = run.num_workers, .servers = cfg.num_ps, .params = info->num_internal,
                                 .sync = strcmp(cfg.mode, "async") != 0,
                                 .needed = run.num_workers - cfg.num_hot_spares };
        hep_ps_serve(&layout, rank - run.num_workers, &cfg, info);
        return finalize(0);
    }
    run.batch = worker_batch(&cfg, path, run.num_workers);
    if (rank == 0) prepare_output(&cfg, path, info);
    int status = !strcmp(cfg.mode, "test") ? hep_test(&cfg, path, &run) : hep_train(&cfg, path, &run);
    return finalize(status);
}
