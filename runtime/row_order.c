/* The rows' reading order (see row_order.h). */
#include "row_order.h"

#include <stdlib.h>

#include "rng.h"
#include "util.h"

enum { MAX_BLOCK_ROWS = 16, MIN_BLOCKS_PER_WINDOW = 64 };

void hep_permute(long *idx, long n, uint64_t seed, uint32_t stream, uint64_t salt)
{
    for (long i = 0; i < n; i++) idx[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(hep_rng_uniform(seed, stream, salt * 1000003u + (uint64_t)i) * (i + 1));
        if (j > i) j = i;
        long t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    }
}

long hep_block_rows(long window)
{
    long rows = window / MIN_BLOCKS_PER_WINDOW;
    return rows < 1 ? 1 : rows > MAX_BLOCK_ROWS ? MAX_BLOCK_ROWS : rows;
}

long hep_epoch_blocks(const hep_shard *shards, int nshards, long block_rows, int shuffle, uint64_t seed, int epoch,
                      hep_block **out)
{
    long n = 0;
    for (int s = 0; s < nshards; s++) n += (shards[s].row1 - shards[s].row0 + block_rows - 1) / block_rows;
    hep_block *in_order = hep_xmalloc(sizeof(hep_block) * (size_t)(n > 0 ? n : 1), "the block list");
    long k = 0;
    for (int s = 0; s < nshards; s++)
        for (long r0 = shards[s].row0; r0 < shards[s].row1; r0 += block_rows) {
            long rows = shards[s].row1 - r0 < block_rows ? shards[s].row1 - r0 : block_rows;
            in_order[k++] = (hep_block){ s, r0, rows };
        }
    if (!shuffle) {
        *out = in_order;
        return n;
    }
    long *perm = hep_xmalloc(sizeof(long) * (size_t)(n > 0 ? n : 1), "the block order");
    hep_permute(perm, n, seed, 0x5a11u, (uint64_t)epoch);
    hep_block *shuffled = hep_xmalloc(sizeof(hep_block) * (size_t)(n > 0 ? n : 1), "the block list");
    for (long i = 0; i < n; i++) shuffled[i] = in_order[perm[i]];
    free(perm);
    free(in_order);
    *out = shuffled;
    return n;
}

long hep_window_blocks(const hep_block *blocks, long nblocks, long first, long window, long *rows)
{
    long b = first, total = 0;
    while (b < nblocks && (b == first || total + blocks[b].n <= window)) total += blocks[b++].n;
    *rows = total;
    return b - first;
}

void hep_window_order(long *idx, long n, int shuffle, uint64_t seed, int epoch, long window_index)
{
    if (shuffle) hep_permute(idx, n, seed, 0x5a12u, ((uint64_t)epoch << 32) ^ (uint64_t)window_index);
    else for (long i = 0; i < n; i++) idx[i] = i;
}
