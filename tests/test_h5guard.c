/* The HDF5 crash guard (runtime/h5guard.c) on a fault of our own making:
 *
 *   test_h5guard guarded   a fault while this thread reads "damaged.h5":
 *                          the guard's error, exit status 1
 *   test_h5guard left      the same after hep_h5_guard_leave: SIGSEGV
 *   test_h5guard unguarded no file entered: SIGSEGV
 *   test_h5guard other     another thread reads "damaged.h5", this one
 *                          faults: SIGSEGV (never blamed on the file)
 *
 * tests/test_resilience.sh runs each and checks the status and the words. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "h5guard.h"

static void fault(void)
{
    volatile int *nowhere = NULL;
    *nowhere = 1;
}

static pthread_mutex_t entered_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t entered_cond = PTHREAD_COND_INITIALIZER;
static int entered;

static void *reader(void *arg)
{
    (void)arg;
    hep_h5_guard_enter("damaged.h5", "the advice");
    pthread_mutex_lock(&entered_lock);
    entered = 1;
    pthread_cond_signal(&entered_cond);
    pthread_mutex_unlock(&entered_lock);
    for (;;) pause();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc == 2 ? argv[1] : "";
    hep_h5_guard_install("test_h5guard: error: ");
    if (!strcmp(mode, "guarded")) {
        hep_h5_guard_enter("damaged.h5", "the advice");
        fault();
    } else if (!strcmp(mode, "left")) {
        hep_h5_guard_enter("damaged.h5", "the advice");
        hep_h5_guard_leave();
        fault();
    } else if (!strcmp(mode, "unguarded")) {
        fault();
    } else if (!strcmp(mode, "other")) {
        pthread_t t;
        if (pthread_create(&t, NULL, reader, NULL) != 0) return 3;
        pthread_mutex_lock(&entered_lock);
        while (!entered) pthread_cond_wait(&entered_cond, &entered_lock);
        pthread_mutex_unlock(&entered_lock);
        fault();
    } else {
        fprintf(stderr, "usage: test_h5guard guarded|left|unguarded|other\n");
        return 2;
    }
    return 0;   /* not reached: each mode faults */
}
