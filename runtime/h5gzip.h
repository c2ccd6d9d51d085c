/* The images of a gzip data file, read chunk by chunk and inflated here.
 * HDF5 1.10 takes a chunk that inflates to fewer bytes than a chunk of its
 * dataset holds and copies the whole chunk's bytes out of the shorter
 * buffer: a gzip data file with one byte of its chunk index overwritten
 * made H5Dread read past the end of a heap buffer (make fuzz, under
 * AddressSanitizer), and a run without the sanitizer went on with whatever
 * memory lay there as images. HDF5 lets no program replace its own gzip
 * filter, so for the layout hepcnn-datagen writes and h5py's
 * compression="gzip" with chunks of whole images, hepcnn reads each
 * chunk's stored bytes (H5Dread_chunk) and inflates them itself with zlib:
 * a chunk that does not inflate to exactly its images is the file's
 * damage. */
#ifndef HEP_H5GZIP_H
#define HEP_H5GZIP_H

#include <hdf5.h>
#include <stddef.h>

typedef struct {
    size_t row_bytes;        /* one image's bytes */
    long chunk_rows;         /* the images of a chunk */
    size_t chunk_bytes;      /* what a chunk inflates to */
    int gzip, shuffle;       /* their places in the filter pipeline (-1: shuffle not there) */
} hep_gzip_rows;

/* 1 when dataset `ds` of images [n][...] holds native floats in chunks of
 * whole images (one or more), with gzip and at most the shuffle filter
 * besides: then *plan says how hep_gzip_read_rows reads them. 0 for any
 * other dataset (HDF5 reads it, as before). */
int hep_gzip_rows_plan(hid_t ds, hep_gzip_rows *plan);

/* Images row0 .. row0+count-1 of `ds` into out: 0, or -1 with *os_err the
 * errno of the file system's failure behind it (0 when none: a chunk that
 * is not stored, not gzip, or not its images when inflated, which is the
 * file's damage). */
int hep_gzip_read_rows(hid_t ds, const hep_gzip_rows *plan, long row0, long count, float *out, int *os_err);

#endif
