/* A damaged HDF5 file can crash the HDF5 library itself: HDF5 1.10 trusts
 * the object headers it reads, and a checkpoint with one byte of an
 * attribute's header overwritten (a size's high byte, 0 to 0xa0) made
 * H5Aexists fault in hepcnn-export (make fuzz found it). While a thread reads a file inside
 * a guarded stretch, a SIGSEGV or SIGBUS in that thread ends the process
 * with an error that names the file, says what to do, and exits with
 * status 1, as any other bad file does. Anywhere else the signal does what
 * it did before (its default, or OpenMPI's handler): a crash in our own
 * code stays a crash, with its core dump. */
#ifndef HEP_H5GUARD_H
#define HEP_H5GUARD_H

/* Once, at start, after MPI_Init (which installs OpenMPI's own handlers):
 * prefix starts the error line, "hepcnn: error: " for instance. */
void hep_h5_guard_install(const char *prefix);

/* The calling thread reads `path` from here to hep_h5_guard_leave; `advice`
 * ends the error (what to do about the file). Both strings must outlive
 * the stretch: the handler can only copy what is already there. */
void hep_h5_guard_enter(const char *path, const char *advice);
void hep_h5_guard_leave(void);

#endif
