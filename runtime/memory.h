/* How much memory a rank may still use, and the check of a model's buffers
 * against it before they are allocated. The model touches every page of
 * its buffers when it is created, so a batch too large for the node is
 * otherwise killed by the kernel's OOM killer: "Killed", and no word of why. */
#ifndef HEP_MEMORY_H
#define HEP_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

/* The memory this process may still allocate, read under `root` ("" for
 * the machine itself; tests give a made-up tree): the least of the kernel's
 * MemAvailable (/proc/meminfo) and, for every cgroup from this process's up
 * to the top, its limit less its use (cgroup v2 memory.max and
 * memory.current, or v1 memory.limit_in_bytes and memory.usage_in_bytes).
 * Returns 0 with *bytes and, in `source`, what set it; -1 when not even
 * /proc/meminfo could be read. */
int hep_memory_available(const char *root, uint64_t *bytes, char *source, size_t source_len);

/* Ends the run with a message naming `source_of_batch` (where the batch
 * size came from: the config file or the command line), `batch_key` and the
 * largest batch that fits when the model's buffers for `batch` images and
 * `threads` threads (hep_model_bytes) and the input pipeline's
 * (`data_bytes(ctx, batch)`) exceed 95% of this rank's share of the
 * memory available: the node's divided among the ranks of `comm` on this
 * node (the rest is for code, libxsmm's kernels, MPI and HDF5).
 * HEPCNN_MEMORY_CHECK=0 turns the check off. */
typedef size_t (*hep_data_bytes_fn)(const void *ctx, int batch);
void hep_check_model_memory(int batch, int threads, hep_data_bytes_fn data_bytes, const void *ctx, MPI_Comm comm,
                            const char *source_of_batch, const char *batch_key);

#endif
