/* Files of whole records (see record_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "record_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "hepcnn: warning: writing PATH failed (why): CONSEQUENCE", once per *said. */
static void warn_once(int *said, const char *path, int err, const char *consequence)
{
    if (!*said) fprintf(stderr, "hepcnn: warning: writing %s failed (%s): %s\n", path, strerror(err), consequence);
    *said = 1;
}

int hep_record_file_open(hep_record_file *f, const char *path, long long cut_at, const char *consequence)
{
    *f = (hep_record_file){ .fd = -1, .consequence = consequence };
    snprintf(f->path, sizeof f->path, "%s", path);
    const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);
    struct stat st;
    if (fd < 0) return -1;
    if ((cut_at >= 0 && ftruncate(fd, (off_t)cut_at) != 0) || fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    f->fd = fd;
    f->end = (long long)st.st_size;
    return 0;
}

int hep_record_file_write(hep_record_file *f, const void *record, size_t n)
{
    if (f->fd < 0) return -1;
    const char *p = record;
    size_t done = 0;
    int err = 0;
    while (done < n && !err) {
        const ssize_t w = write(f->fd, p + done, n - done);
        if (w > 0) done += (size_t)w;
        else if (w == 0) err = ENOSPC;
        else if (errno != EINTR) err = errno;
    }
    if (!err) {
        f->end += (long long)n;
        return 0;
    }
    if (done == 0 || ftruncate(f->fd, (off_t)f->end) == 0) {
        warn_once(&f->failed, f->path, err, f->consequence);
        return -1;
    }
    /* a partial record that stays would hide every later one from a
     * reader: write no more, and say so even after an earlier warning */
    int unsaid = 0;
    warn_once(&unsaid, f->path, err, "it ends in a partial record, and no more are written to it");
    close(f->fd);
    f->fd = -1;
    return -1;
}

void hep_record_file_close(hep_record_file *f)
{
    if (f->fd >= 0 && close(f->fd) != 0) warn_once(&f->failed, f->path, errno, f->consequence);
    f->fd = -1;
}
