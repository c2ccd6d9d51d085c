/* A file system that fails reads, for the tests (built as a shared object
 * and preloaded with LD_PRELOAD): with FS_FAULTS_EIO=NAME:COUNT[:BYTES[:SKIP]],
 * reads of BYTES or more (default 1 MiB) from a file whose path contains
 * NAME fail with EIO, as a network file system's client does while it has
 * lost its server: COUNT of them (-1: every one) after the first SKIP such
 * reads (default 0) went through. With the default size, HDF5's metadata
 * and the labels are read, so that a run starts and fails on its images. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int should_fail(int fd, size_t n)
{
    static int seen;   /* matching reads so far */
    const char *spec = getenv("FS_FAULTS_EIO"), *colon = spec ? strchr(spec, ':') : NULL;
    char link[64], target[4096], name[256];
    long count = 0, bytes = 1 << 20, skip = 0;
    if (!colon || (size_t)(colon - spec) >= sizeof name || sscanf(colon + 1, "%ld:%ld:%ld", &count, &bytes, &skip) < 1 ||
        (long)n < bytes)
        return 0;
    snprintf(name, sizeof name, "%.*s", (int)(colon - spec), spec);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t len = readlink(link, target, sizeof target - 1);
    if (len <= 0) return 0;
    target[len] = '\0';
    if (!strstr(target, name)) return 0;
    const long k = __atomic_fetch_add(&seen, 1, __ATOMIC_RELAXED);
    return k >= skip && (count < 0 || k < skip + count);
}

ssize_t pread(int fd, void *buf, size_t n, off_t offset)
{
    ssize_t (*real)(int, void *, size_t, off_t) = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
    if (should_fail(fd, n)) {
        errno = EIO;
        return -1;
    }
    return real(fd, buf, n, offset);
}
