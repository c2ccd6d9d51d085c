/* The HDF5 crash guard (see h5guard.h). A signal handler reaches only
 * static storage: the file a thread reads is thread-local, so that a fault
 * in a thread that reads nothing (the OpenMP workers, the training loop
 * while the loader's thread reads) is never blamed on a file. */
#define _POSIX_C_SOURCE 200809L
#include "h5guard.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char *error_prefix = "error: ";
static struct sigaction before_segv, before_bus;
static _Thread_local const char *volatile reading_path;
static _Thread_local const char *volatile reading_advice;

static void put(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
    (void)context;
    const char *path = reading_path;
    if (!path) {
        /* Not ours: the previous action takes the signal. A fault returns
         * to the instruction, which faults again under it; a signal sent
         * by another process is sent again. */
        sigaction(sig, sig == SIGSEGV ? &before_segv : &before_bus, NULL);
        if (info->si_code <= 0) raise(sig);
        return;
    }
    put(error_prefix);
    put(path);
    put(sig == SIGSEGV ? ": the HDF5 library crashed (SIGSEGV) reading this file"
                       : ": the HDF5 library crashed (SIGBUS) reading this file");
    put(", which is damaged (bytes overwritten, or a copy cut short): ");
    put(reading_advice ? reading_advice : "replace it with a good copy");
    put("\n");
    _exit(1);
}

void hep_h5_guard_install(const char *prefix)
{
    error_prefix = prefix;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &before_segv);
    sigaction(SIGBUS, &sa, &before_bus);
}

void hep_h5_guard_enter(const char *path, const char *advice)
{
    reading_advice = advice;
    reading_path = path;
}

void hep_h5_guard_leave(void)
{
    reading_path = NULL;
    reading_advice = NULL;
}
