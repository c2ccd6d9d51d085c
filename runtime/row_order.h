/* The order in which a rank reads its rows, epoch by epoch.
 *
 * A rank's rows are its shards: whole files, or a slice of every file's
 * rows when there are fewer files than ranks. They are cut into blocks of
 * consecutive rows: 16 (as the original's interleave of 16 rows), or fewer
 * for large images, so that a read window (64 MB) holds at least 64 blocks.
 * Training permutes the blocks of all the rank's shards together each epoch,
 * fills windows with consecutive blocks of that order, and permutes the
 * rows within each window: a batch mixes rows from all over the data set
 * (files written class by class included), while a window still comes from
 * a few dozen reads. Evaluation reads in file order.
 *
 * Everything is a function of (shards, seed, epoch): a restart rebuilds the
 * same order and skips to its step without reading what comes before. */
#ifndef HEP_ROW_ORDER_H
#define HEP_ROW_ORDER_H

#include <stdint.h>

typedef struct { int file; long row0, row1; } hep_shard;
typedef struct { int shard; long row0, n; } hep_block;

/* Rows per block for a window of `window` rows. */
long hep_block_rows(long window);

/* This epoch's blocks, in reading order (shuffle: permuted from seed and
 * epoch); *out is malloc'd. Returns the count. */
long hep_epoch_blocks(const hep_shard *shards, int nshards, long block_rows, int shuffle, uint64_t seed, int epoch,
                      hep_block **out);

/* Consecutive blocks from `first` that fit in `window` rows (at least one);
 * returns how many, their rows in *rows. */
long hep_window_blocks(const hep_block *blocks, long nblocks, long first, long window, long *rows);

/* The order of a window's rows: idx[i] is the position in the window of
 * the i-th row to emit (shuffle: permuted from seed, epoch and window). */
void hep_window_order(long *idx, long n, int shuffle, uint64_t seed, int epoch, long window_index);

/* A seeded permutation of 0..n-1 (Fisher-Yates over Philox draws). */
void hep_permute(long *idx, long n, uint64_t seed, uint32_t stream, uint64_t salt);

#endif
