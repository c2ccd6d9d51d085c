/* The outputpath lock (see lock.h). */
#define _DEFAULT_SOURCE   /* flock, gethostname */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LOCK_NAME ".hepcnn.lock"

static void holder_of(int fd, char *out, size_t cap)
{
    ssize_t n = pread(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    if (!out[0]) snprintf(out, cap, "a run that has not written its name yet");
}

static void write_holder(int fd)
{
    char host[256] = "?", when[64], text[512];
    gethostname(host, sizeof host - 1);
    hep_time_text((long long)time(NULL), when, sizeof when);
    const char *job = getenv("SLURM_JOB_ID");
    int len = snprintf(text, sizeof text, "host %s, pid %ld%s%s, since %s\n", host, (long)getpid(),
                       job ? ", SLURM job " : "", job ? job : "", when);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len)
        fprintf(stderr, "hepcnn: warning: cannot record this run in the lock file: %s\n", strerror(errno));
}

/* The folder is writable (main checked), the lock file is not. In a folder
 * shared by a group that is another user's run; a lock file of this user's
 * own was made read-only by hand, and only its mode is in the way. */
static void refuse_unwritable(const char *outputpath, const char *path, int err)
{
    struct stat st;
    int known = stat(path, &st) == 0;
    if (known && st.st_uid == geteuid())
        hep_fatal("outputpath %s: its lock file %s is this user's own but not writable (%s; mode %03o): make it "
                  "writable (chmod u+w) or delete it", outputpath, path, strerror(err), (unsigned)(st.st_mode & 0777));
    char owner[64] = "another user";
    const struct passwd *pw = known ? getpwuid(st.st_uid) : NULL;
    if (pw) snprintf(owner, sizeof owner, "user %s", pw->pw_name);
    hep_fatal("outputpath %s holds another user's run: its lock file %s belongs to %s and is not writable by this "
              "user (%s): give an --outputpath of your own", outputpath, path, owner, strerror(err));
}

void hep_lock_outputpath(hep_lock *lock, const char *outputpath)
{
    char *path = lock->path;
    snprintf(path, sizeof lock->path, "%s/" LOCK_NAME, outputpath);
    lock->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock->fd < 0 && (errno == EACCES || errno == EPERM)) refuse_unwritable(outputpath, path, errno);
    if (lock->fd < 0) hep_fatal("cannot open the lock file %s: %s", path, strerror(errno));
    if (flock(lock->fd, LOCK_EX | LOCK_NB) == 0) {
        write_holder(lock->fd);
        return;
    }
    if (errno == EWOULDBLOCK) {
        char holder[512];
        holder_of(lock->fd, holder, sizeof holder);
        hep_fatal("outputpath %s is in use by another run (%s; lock file %s): wait for it to end, or give this "
                  "run another --outputpath", outputpath, holder, path);
    }
    fprintf(stderr, "hepcnn: warning: cannot lock %s (%s): this file system does not support locks, so a second "
            "run on the same outputpath would not be stopped\n", path, strerror(errno));
    write_holder(lock->fd);   /* kept open unlocked: hep_lock_check still sees the folder moved */
}

void hep_lock_release(hep_lock *lock)
{
    if (lock->fd < 0) return;
    close(lock->fd);   /* drops the flock (if held); the file stays, naming the last holder */
    lock->fd = -1;
}

/* Says what became of the lock file this run holds, and ends the run. */
static void stop_unlocked(const hep_lock *lock, const char *found, const char *what, long step)
{
    const int folder_len = (int)(strlen(lock->path) - strlen(LOCK_NAME) - 1);
    char folder[sizeof lock->path];
    snprintf(folder, sizeof folder, "%.*s", folder_len, lock->path);
    struct stat st;
    if (stat(folder, &st) != 0)
        hep_fatal("outputpath %s was removed or moved while this run was going, so another run may now write there: "
                  "this run stops before writing %s of step %ld. If the folder was moved, run again on its new place "
                  "to resume from its checkpoints", folder, what, step);
    hep_fatal("outputpath %s: its lock file %s %s while this run was going, so another run may write there too: this "
              "run stops before writing %s of step %ld (run again to resume from its newest checkpoint)", folder,
              lock->path, found, what, step);
}

void hep_lock_check(const hep_lock *lock, const char *what, long step)
{
    struct stat held, now;
    if (lock->fd < 0 || fstat(lock->fd, &held) != 0) return;
    if (stat(lock->path, &now) == 0) {
        if (now.st_dev == held.st_dev && now.st_ino == held.st_ino) return;
        char holder[512], found[600];
        int fd = open(lock->path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) holder_of(fd, holder, sizeof holder);
        else snprintf(holder, sizeof holder, "unreadable: %s", strerror(errno));
        if (fd >= 0) close(fd);
        snprintf(found, sizeof found, "was replaced by another (%s)", holder);
        stop_unlocked(lock, found, what, step);
    }
    if (errno == ENOENT || errno == ENOTDIR) stop_unlocked(lock, "was deleted", what, step);
    /* any other error is a passing one (a network file system's): the next check sees */
}
