/* A data file's stamp: which file it is (device and inode), its size and
 * when it was last written.
 *
 * A data file's labels and weights are read once, when the run starts;
 * its images are read from it epoch after epoch. A file written again in
 * place meanwhile (a preprocessing job run again into the same folder,
 * with HDF5's file locks off, as on many cluster file systems) could give
 * new images next to old labels, and one cut short reads as zeros: the
 * reader compares each file with its stamp after reading it (h5files.c
 * says what it does about a difference). */
#ifndef HEP_FILE_STAMP_H
#define HEP_FILE_STAMP_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    int known;                 /* 0: not taken (the file could not be stat'ed) */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} hep_file_stamp;

void hep_file_stamp_take(hep_file_stamp *s, const struct stat *st);

/* Whether `now` is the stamped file as it was (1 too when nothing was
 * stamped). */
int hep_file_stamp_same(const hep_file_stamp *was, const struct stat *now);

/* What differs, in words: "its size went from A to B bytes", "it is now
 * another file of that name", "it was written at <time>". */
void hep_file_stamp_difference(const hep_file_stamp *was, const struct stat *now, char *out, size_t len);

#endif
