/* The operating system's error behind a failed HDF5 call. HDF5's POSIX
 * driver puts a failed read's errno into the text of its error stack
 * ("file read failed: ..., errno = 5, error message = 'Input/output
 * error', ..."). A file system that fails (a Lustre client evicted, a
 * network file server gone for a while) is then told apart from a file
 * that is damaged, which fails in HDF5's decoding with no errno. */
#ifndef HEP_H5SYSERR_H
#define HEP_H5SYSERR_H

/* The errno of the last system call failure on the calling thread's HDF5
 * error stack, or 0 when there is none. Call before the next HDF5 call
 * (which clears the stack), under the HDF5 lock where there is one. */
int hep_h5_system_errno(void);

#endif
