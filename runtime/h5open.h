/* Opening an HDF5 file to read, and creating one: the data reader, the
 * checkpoints, the predictions, hepcnn-export and hepcnn-datagen (the tools
 * have no runtime) do it this way.
 *
 * HDF5 1.10.7 and later lock every file they open. Where the file system
 * has no locks (some Lustre and NFS mounts) every open would fail with an
 * HDF5 built to insist on locks (Debian's is "best-effort"), so the locks
 * are asked for only where they work (HDF5_USE_FILE_LOCKING, when set,
 * still decides). A file that another program holds locked, one writing it
 * still, fails to open as a damaged file does: the second open, without
 * locks, tells the two apart for the error message. */
#ifndef HEP_H5OPEN_H
#define HEP_H5OPEN_H

#include <hdf5.h>

#if H5_VERSION_GE(1, 10, 7)
/* File-access properties that ask for locks (close with H5Pclose), or -1. */
static inline hid_t hep_h5_locking_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_file_locking(fapl, 1, 1) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}
#endif

/* The file, or -1; then *locked says whether it opens without locks (so
 * another program has it locked) rather than not at all. */
static inline hid_t hep_h5_open_read(const char *path, int *locked)
{
    *locked = 0;
#if H5_VERSION_GE(1, 10, 7)
    hid_t fapl = hep_h5_locking_fapl();
    if (fapl < 0) return -1;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0 && H5Pset_file_locking(fapl, 0, 0) >= 0) {
        hid_t unlocked = H5Fopen(path, H5F_ACC_RDONLY, fapl);
        if (unlocked >= 0) {
            *locked = 1;
            H5Fclose(unlocked);
        }
    }
    H5Pclose(fapl);
    return file;
#else
    return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
#endif
}

/* A new file (truncating one of the name), with locks only where the file
 * system has them, as above: the checkpoints, the predictions and
 * hepcnn-datagen's files. The file, or -1. */
static inline hid_t hep_h5_create(const char *path)
{
#if H5_VERSION_GE(1, 10, 7)
    hid_t fapl = hep_h5_locking_fapl();
    if (fapl < 0) return -1;
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    return file;
#else
    return H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
#endif
}

/* The words for a file that another program holds locked. */
#define HEP_H5_LOCKED_TEXT "another program holds it locked (still writing it?): let that finish, then run again"

#endif
