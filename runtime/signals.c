/* Signal handling (see signals.h). A signal handler can reach only static
 * storage, so the one flag it sets lives here: the only mutable state
 * outside main's structures, written by the handler and read by the loop
 * and by the data loader's thread (a lock-free atomic: both are allowed). */
#define _POSIX_C_SOURCE 200809L
#include "signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int stop_signal;

static void on_stop(int sig)
{
    const int first = atomic_load(&stop_signal);
    if (sig == SIGINT && first == SIGINT) {
        static const char msg[] = "\nhepcnn: second SIGINT: stopping at once, without a checkpoint\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
        return;
    }
    /* the first signal is kept, but a SIGINT after another arms the second Ctrl-C */
    if (!first || sig == SIGINT) atomic_store(&stop_signal, sig);
}

void hep_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;   /* a blocking read or MPI wait goes on; the loop looks at the flag */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int hep_stop_signal(void)
{
    return atomic_load(&stop_signal);
}

const char *hep_signal_name(int sig)
{
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
    }
}
