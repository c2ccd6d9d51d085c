/* A file system that fails I/O, for the tests (built as a shared object
 * and preloaded with LD_PRELOAD), as a network file system's client does
 * while it has lost its server. FS_FAULTS_EIO=NAME:COUNT[:BYTES[:SKIP]]
 * fails reads of BYTES or more (default 1 MiB) from a file whose path
 * contains NAME with EIO: COUNT of them (-1: every one) after the first
 * SKIP such reads (default 0) went through. With the default size, HDF5's
 * metadata and the labels are read, so that a run starts and fails on its
 * images. FS_FAULTS_EIO_WRITE does the same to writes. FS_FAULTS_ERRNO=N
 * fails them with errno N instead of EIO (22, EINVAL: what a damaged
 * header's offset gets). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Whether this read or write of n bytes on fd fails, by the variable `var`;
 * *seen counts the matching ones. */
static int should_fail(const char *var, int *seen, int fd, size_t n)
{
    const char *spec = getenv(var), *colon = spec ? strchr(spec, ':') : NULL;
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
    const long k = __atomic_fetch_add(seen, 1, __ATOMIC_RELAXED);
    return k >= skip && (count < 0 || k < skip + count);
}

static int fault_errno(void)
{
    const char *n = getenv("FS_FAULTS_ERRNO");
    return n && atoi(n) > 0 ? atoi(n) : EIO;
}

ssize_t pread(int fd, void *buf, size_t n, off_t offset)
{
    static int seen;
    ssize_t (*real)(int, void *, size_t, off_t) = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
    if (should_fail("FS_FAULTS_EIO", &seen, fd, n)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, buf, n, offset);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    static int seen;
    ssize_t (*real)(int, const void *, size_t, off_t) =
        (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    if (should_fail("FS_FAULTS_EIO_WRITE", &seen, fd, n)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, buf, n, offset);
}
