/* Software prefetch, for writing, of a block the next kernel call will
 * accumulate into, of output lines an epilogue is about to store, and of
 * the strided runs a Winograd transform's next tile scatters its positions
 * into. */
#ifndef HEP_PREFETCH_H
#define HEP_PREFETCH_H

#include <stddef.h>

/* Asks for floats p[0..n) in L1, one request per 64-byte line. An address
 * past the block's owner is harmless: a prefetch never faults. */
static inline void hep_prefetch_floats(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i += 16) __builtin_prefetch(p + i, 1, 3);
}

/* Asks for `runs` runs of n floats each, `stride` floats apart (a Winograd
 * tile's positions), in L1 for writing. */
static inline void hep_prefetch_runs_write(const float *p, size_t stride, int runs, size_t n)
{
    for (int r = 0; r < runs; r++) hep_prefetch_floats(p + (size_t)r * stride, n);
}

#endif
