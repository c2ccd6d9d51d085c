/* Stopping a run cleanly on a signal. SIGTERM (what SLURM sends at the
 * time limit and on scancel), SIGINT (Ctrl-C) and SIGUSR1 (what the run
 * scripts ask SLURM to send before the time limit, sbatch --signal) only
 * set a flag: the run finishes the step in flight, agrees with the other
 * ranks on the stop step, writes a checkpoint and exits with
 * HEP_EXIT_STOPPED. SIGHUP (the terminal of an interactive session went
 * away) does the same. A second SIGINT ends the process at once (no
 * checkpoint), as users expect of a second Ctrl-C. SIGPIPE is ignored: a
 * reader of the report lines that went away (`| tee` in a closed session,
 * `| head`) costs the run its standard output, not the run; logs/ keeps
 * every line. */
#ifndef HEP_SIGNALS_H
#define HEP_SIGNALS_H

/* Exit status of a run stopped by a signal after writing its checkpoint:
 * sysexits.h's EX_TEMPFAIL, "try again later": running the same command
 * again continues the run. */
enum { HEP_EXIT_STOPPED = 75 };

/* Called when training starts (and by a parameter server when it starts
 * serving): before that a signal ends the process as usual, since there is
 * nothing to save. */
void hep_signals_install(void);
/* The first stop signal received (SIGTERM, SIGINT, SIGUSR1, SIGHUP), or 0. */
int hep_stop_signal(void);
/* "SIGTERM" etc. */
const char *hep_signal_name(int sig);

#endif
