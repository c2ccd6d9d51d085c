/* Error reporting, checked allocation, directories, clocks. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE   /* madvise */
#include "util.h"
#include "printable.h"

#include <errno.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <time.h>

/* This process's rank in its job: MPI's once MPI runs, else what the
 * launcher set (the config is read before MPI_Init): OpenMPI's mpirun,
 * PMIx or PMI (srun --mpi=...), or srun itself. 0 without a launcher. */
static int mpi_running(void)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    return inited && !finalized;
}

static int job_rank(void)
{
    int rank = 0;
    if (mpi_running() && MPI_Comm_rank(MPI_COMM_WORLD, &rank) == MPI_SUCCESS) return rank;
    static const char *const vars[] = { "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

void hep_fatal(const char *fmt, ...)
{
    /* A mistake in what every rank reads (the config, the network, a
     * shared file) fails all ranks at once: said by each, a 64-rank job
     * printed it 64 times. Rank 0 says it at once and ends the job (its
     * MPI_Abort, or its exit under mpirun or srun --kill-on-bad-exit); the
     * others wait a few seconds first and say theirs only if the job is
     * still running, which it is when the error is theirs alone. */
    enum { OTHER_RANKS_WAIT_S = 5 };
    if (job_rank() > 0) sleep(OTHER_RANKS_WAIT_S);
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);   /* what was printed before the error reads before it where both go to one file */
    hep_put_error("hepcnn: error: ", fmt, ap);
    va_end(ap);
    fflush(stderr);
    if (mpi_running()) {
        int size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
        MPI_Finalize();
    }
    exit(1);
}

void *hep_xmalloc(size_t bytes, const char *what)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) hep_fatal("out of memory allocating %zu bytes for %s", bytes, what);
    return p;
}

void *hep_xmalloc_large(size_t bytes, const char *what)
{
    enum { HUGE_PAGE = 2 * 1024 * 1024 };
    if (bytes < HUGE_PAGE) return hep_xmalloc(bytes, what);
    void *p;
    int err = posix_memalign(&p, HUGE_PAGE, bytes);
    if (err) hep_fatal("out of memory allocating %zu bytes for %s: %s", bytes, what, strerror(err));
    /* Only a hint: a kernel without huge pages answers EINVAL, and the
     * buffer works in 4 KiB pages. */
    (void)madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

enum { MAX_RETRY_WAITS = 8, MAX_RETRY_WAIT_S = 3600 };

/* HEPCNN_IO_RETRY_WAITS as waits (seconds): their count, or -1 when it is
 * not 1 to MAX_RETRY_WAITS whole numbers 0..MAX_RETRY_WAIT_S, comma-separated.
 * Unset or empty: 1, 4, 16. Read where it is used: the environment is the state. */
static int retry_waits(unsigned waits[MAX_RETRY_WAITS])
{
    const char *text = getenv("HEPCNN_IO_RETRY_WAITS");
    if (!text || !*text) {
        waits[0] = 1, waits[1] = 4, waits[2] = 16;
        return 3;
    }
    int n = 0;
    for (const char *p = text;; p++) {
        char *end;
        errno = 0;
        const long w = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
        if (w < 0 || w > MAX_RETRY_WAIT_S || errno || n == MAX_RETRY_WAITS || (*end != ',' && *end != '\0')) return -1;
        waits[n++] = (unsigned)w;
        if (*end == '\0') return n;
        p = end;
    }
}

void hep_check_retry_waits(void)
{
    unsigned waits[MAX_RETRY_WAITS];
    if (retry_waits(waits) < 0)
        hep_fatal("HEPCNN_IO_RETRY_WAITS = '%s' (the environment): expected 1 to %d waits in whole seconds 0..%d, "
                  "comma-separated, as 1,4,16 (the default)", getenv("HEPCNN_IO_RETRY_WAITS"), MAX_RETRY_WAITS,
                  MAX_RETRY_WAIT_S);
}

/* Sleeps `seconds`, in slices so that stopping() (when given) can cut the
 * wait short: returns `seconds`, or when cut short the whole seconds it
 * waited. A signal's handler cannot be relied on to end a sleep: the
 * process's signals go to any of its threads, and the one waiting is often
 * the data loader's. */
static unsigned sleep_unless(unsigned seconds, const char *(*stopping)(void))
{
    const double start = hep_wall_seconds(), end = start + seconds;
    for (double now = start; now < end; now = hep_wall_seconds()) {
        if (stopping && stopping()) return (unsigned)(now - start);
        const double slice = end - now < 0.05 ? end - now : 0.05;
        const struct timespec ts = { 0, (long)(slice * 1e9) };
        nanosleep(&ts, NULL);
    }
    return seconds;
}

int hep_wait_to_retry_unless(const char *doing, const char *why, int *tries, unsigned *waited,
                             const char *(*stopping)(void))
{
    unsigned waits[MAX_RETRY_WAITS];
    const int n = retry_waits(waits);
    if (*tries >= n) return 0;
    const char *stop = stopping ? stopping() : NULL;
    if (!stop) {
        fprintf(stderr, "hepcnn: warning: %s failed (%s): trying again in %u s (try %d of %d)\n", doing, why,
                waits[*tries], *tries + 2, n + 1);
        *waited += sleep_unless(waits[*tries], stopping);
        stop = stopping ? stopping() : NULL;
    }
    if (stop) {
        fprintf(stderr, "hepcnn: warning: %s failed (%s): not tried again: %s asks the run to stop\n", doing, why,
                stop);
        return 0;
    }
    (*tries)++;
    return 1;
}

const char *hep_times(int n, char buf[24])
{
    if (n == 1) return "once";
    snprintf(buf, 24, "%d times", n);
    return buf;
}

int hep_wait_to_retry(const char *doing, const char *why, int *tries, unsigned *waited)
{
    return hep_wait_to_retry_unless(doing, why, tries, waited, NULL);
}

int hep_room_short(const char *path, double need_bytes, double *free_mib)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0'; else snprintf(dir, sizeof dir, ".");
    struct statvfs fs;
    const double mib = 1048576.0, need = need_bytes > mib ? need_bytes : mib;
    if (statvfs(dir, &fs) != 0) return 0;
    *free_mib = (double)fs.f_bavail * fs.f_frsize / mib;
    return *free_mib * mib < need * 1.05;
}

int hep_write_cannot_fit(const char *path, double need_bytes, int err)
{
    double free_mib;
    return hep_room_short(path, need_bytes, &free_mib) || err == ENOSPC || err == EDQUOT || err == EFBIG;
}

void hep_write_failed(const char *what, const char *path, const char *tmp, int err, double need_bytes,
                      const char *kept)
{
    if (tmp) unlink(tmp);
    const char *sep = kept ? "; " : "", *tail = kept ? kept : "";
    double free_mib = 0.0;
    if (hep_room_short(path, need_bytes, &free_mib)) {
        if (need_bytes > 1048576.0)
            hep_fatal("writing %s %s failed: its file system has %.1f MiB free and it needs about %.1f MiB%s%s", what,
                      path, free_mib, need_bytes / 1048576.0, sep, tail);
        hep_fatal("writing %s %s failed: its file system is full (%.1f MiB free)%s%s", what, path, free_mib, sep, tail);
    }
    if (err) hep_fatal("writing %s %s failed: %s%s%s", what, path, strerror(err), sep, tail);
    hep_fatal("writing %s %s failed (a full disk, a quota or a file size limit?)%s%s", what, path, sep, tail);
}

int hep_mkdirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
    return 0;
}

void hep_time_text(long long t, char *out, size_t len)
{
    struct tm tm;
    time_t when = (time_t)t;
    if (!localtime_r(&when, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M:%S %Z", &tm)) snprintf(out, len, "%lld", t);
}

double hep_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
