/* The seed's HDF5 files: finding them in inputpath, checking each against
 * the compiled network, and reading rows of `data` as float. Every error
 * names the file, the dataset (and row) and what was expected. */
#ifndef HEP_H5FILES_H
#define HEP_H5FILES_H

#include <hdf5.h>
#include <model.h>

#include "file_stamp.h"
#include "h5gzip.h"

typedef struct {
    char *path;
    long rows;
    int *label;          /* [rows] */
    float *weight;       /* [rows] */
    float *normweight;   /* [rows] */
    float *psr;          /* [rows], NULL when the file has none */
    hep_file_stamp stamp;   /* the file as these were read from it */
} hep_h5file;

/* A dataset's shape as "{d0,d1,...}" (rank extents of dims) into text,
 * for the errors that compare it with the network's. */
void hep_h5_shape_text(char *text, size_t len, int rank, const hsize_t *dims);

/* Sorted paths of inputpath's files whose names contain `kind` ("train",
 * "val", "test") and end in .h5 or .hdf5. Returns the count (0: none), or -1
 * with err set when inputpath cannot be read. */
int hep_h5_list(const char *inputpath, const char *kind, char ***paths, char *err, size_t errlen);

/* Open and check one file (shapes, types, lengths, label range); reads the
 * per-row datasets. Returns 0, or -1 with err set. */
int hep_h5file_load(hep_h5file *f, const char *path, const hep_model_info *info, char *err, size_t errlen);
void hep_h5file_free(hep_h5file *f);

/* An open `data` dataset for reading rows. */
typedef struct {
    hid_t file, data, space;
    const char *path;
    const hep_h5file *loaded;
    const hep_model_info *info;
    hep_file_stamp seen;   /* the file as last found holding the events loaded */
    int fd;                /* HDF5's own descriptor of the file, or -1 */
    int by_chunk;          /* its images read as gzip chunks by h5gzip.c, as `gzip` says */
    hep_gzip_rows gzip;
    int C, H, W;
} hep_h5rows;

/* Opens the rows of `f`, loaded before; fails if the file no longer holds
 * the events loaded (h5recheck.h). */
int hep_h5rows_open(hep_h5rows *r, const hep_h5file *f, const hep_model_info *info, char *err, size_t errlen);
/* Rows row0 .. row0+count-1 as float [count][C][H][W]; checks for NaN/Inf,
 * and that the file still holds the events loaded. */
int hep_h5rows_read(hep_h5rows *r, long row0, long count, float *out, char *err, size_t errlen);
void hep_h5rows_close(hep_h5rows *r);

/* HDF5 is called from two threads at once (the loader's I/O thread, and
 * the main thread's checkpoints and evaluation loader) only when the
 * library says it is thread-safe (H5is_library_threadsafe; Cray's builds
 * may not be). Otherwise, or with HEPCNN_HDF5_SERIALIZE=1 in the
 * environment, every use of HDF5 is bracketed by this lock. Not nested. */
void hep_h5_lock(void);
void hep_h5_unlock(void);
int hep_h5_serialized(void);

#endif
