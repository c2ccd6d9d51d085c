/* How a pass cuts its work into pieces for the team when a rank has few
 * images: a Winograd tile row's pieces are its channel blocks, taken in
 * parts (conv_winograd.c, conv_backward.c). */
#ifndef HEP_PIECES_H
#define HEP_PIECES_H

/* Channel blocks first .. end-1: the part of a tile row one piece takes. */
typedef struct {
    int first, end;
} hep_blocks;

/* The share of a tile row's work that every part repeats: its input
 * transform, all input blocks of it. hep64's conv2 and conv3 (F(8x8) and
 * F(4x4), 2 blocks) cut into 2 parts took 1.24-1.31x the forward work of
 * whole tile rows (bench_model, 2 threads, Zen 5). */
#define HEP_PART_REPEATED 0.3

/* Into how many parts to cut each of `pieces` pieces of work, by their
 * `blocks` channel blocks, for `threads` threads under a static schedule:
 * the count with the shortest time, in rounds (a thread's pieces) times a
 * piece's share of a whole one. 1 while there are pieces enough. */
static inline int hep_block_parts(long pieces, int threads, int blocks)
{
    int best = 1;
    double best_time = (double)((pieces + threads - 1) / threads);
    for (int parts = 2; parts <= blocks && pieces < threads; parts++) {
        const long rounds = (pieces * parts + threads - 1) / threads;
        const int most = (blocks + parts - 1) / parts;   /* blocks in the largest part */
        const double time = rounds * (HEP_PART_REPEATED + (1.0 - HEP_PART_REPEATED) * most / blocks);
        if (time < best_time) best = parts, best_time = time;
    }
    return best;
}

/* Part `part` of `parts` of `blocks` channel blocks. */
static inline hep_blocks hep_block_part(int blocks, int part, int parts)
{
    return (hep_blocks){ part * blocks / parts, (part + 1) * blocks / parts };
}

#endif
