/* hep_block_parts and hep_block_part (runtime/pieces.h): a Winograd tile
 * row is cut into parts only where that shortens the pass. On 2 threads
 * with a tile row per thread or more it must stay whole (make bench's
 * batches would pay the repeated input transform for nothing); with a few
 * tile rows on many threads (the seed's KNL configs) it is cut; and the
 * parts cover the blocks, in order, each once.
 *
 * usage: test_pieces */
#include <stdio.h>

#include "pieces.h"

static int failures;

static void expect_parts(long pieces, int threads, int blocks, int want)
{
    const int got = hep_block_parts(pieces, threads, blocks);
    printf("%-4s %3ld tile rows, %2d threads, %d blocks: %d part(s)", got == want ? "ok" : "FAIL", pieces, threads,
           blocks, got);
    if (got != want) printf(", expected %d", want), failures++;
    printf("\n");
}

/* Parts 0 .. parts-1 of `blocks`: back to back from 0 to blocks, none empty,
 * none more than one block larger than another. */
static void expect_cover(int blocks, int parts)
{
    int next = 0, least = blocks, most = 0;
    for (int part = 0; part < parts; part++) {
        const hep_blocks b = hep_block_part(blocks, part, parts);
        if (b.first != next || b.end <= b.first) {
            printf("FAIL part %d of %d of %d blocks is %d..%d\n", part, parts, blocks, b.first, b.end), failures++;
            return;
        }
        next = b.end;
        least = b.end - b.first < least ? b.end - b.first : least;
        most = b.end - b.first > most ? b.end - b.first : most;
    }
    if (next != blocks || most - least > 1)
        printf("FAIL %d parts of %d blocks end at %d\n", parts, blocks, next), failures++;
}

int main(void)
{
    expect_parts(2, 2, 2, 1);     /* hep224 or hep64 at any batch on 2 threads: whole tile rows */
    expect_parts(64 * 4, 2, 2, 1);
    expect_parts(1, 2, 2, 2);     /* one tile row on 2 threads: both work */
    expect_parts(4, 6, 2, 1);     /* 8 parts on 6 threads is 2 rounds of 0.65: slower than 1 round */
    expect_parts(4, 8, 2, 2);
    expect_parts(32, 66, 2, 2);   /* cori_knl_64 on one node: hep64's 8 images x 4 tile rows */
    expect_parts(40, 66, 2, 1);
    expect_parts(4, 66, 4, 4);    /* 1 image a rank, hsw's 4 blocks */
    expect_parts(4, 9, 4, 2);     /* 3 or 4 parts: 12 or 16 pieces on 9 threads, 2 rounds */
    expect_parts(3, 66, 1, 1);    /* one block cannot be cut */
    for (int blocks = 1; blocks <= 8; blocks++)
        for (int parts = 1; parts <= blocks; parts++) expect_cover(blocks, parts);
    printf(failures ? "pieces: %d FAILED\n" : "pieces: all as expected\n", failures);
    return failures != 0;
}
