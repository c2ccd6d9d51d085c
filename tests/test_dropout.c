/* Dropout draws (runtime/rng.h, epilogue.h). For keep probabilities whose
 * thresholds need 1, 2, 4, 8 and 16 draw bits:
 *  - the vectorised runs (hep_dropout_runs: Philox over several groups,
 *    pieces sharing a group) give bit for bit the multipliers of the scalar
 *    definition (hep_dropout_factor1), for runs that start, end and stride
 *    anywhere, including inside a group and across group boundaries;
 *  - the same runs as kept bits (hep_dropout_keep_runs, the convolutions'
 *    form): bit for bit the scalar decisions, for the layers' runs (on
 *    multiples of 16 elements, 16 draws to a word) and for any others;
 *  - the kept fraction over 2^22 elements is the threshold's probability
 *    (within 5 standard deviations), and a different step or layer gives a
 *    different mask that keeps about the same fraction of the first one's
 *    kept elements (independence);
 *  - with 16 bits, an element's draw is the one of the earlier layout
 *    (groups of 64: half (e>>3)&1 of word (e>>4)&3 of counter 8g + (e&7)),
 *    so masks of such keep probabilities did not change.
 * Compiled per arch: each ISA has its own Philox and extraction code. Exits
 * 1 on any failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <epilogue.h>

enum { MAX_RUNS = 40, MAX_COUNT = 700 };

static int check_runs(const hep_dropout *d, uint64_t index, int runs, uint64_t stride, int count)
{
    static float got[MAX_RUNS * MAX_COUNT];
    hep_dropout_runs(d, index, runs, stride, count, got);
    for (int r = 0; r < runs; r++)
        for (int k = 0; k < count; k++) {
            const uint64_t i = index + (uint64_t)r * stride + (uint64_t)k;
            const float want = hep_dropout_factor1(d, i);
            if (got[r * count + k] != want) {
                printf("FAIL: bits %d: runs %d x %d from %llu stride %llu: element %llu got %g, want %g\n", d->bits,
                       runs, count, (unsigned long long)index, (unsigned long long)stride, (unsigned long long)i,
                       got[r * count + k], want);
                return 1;
            }
        }
    return 0;
}

/* The same runs as kept bits. */
static int check_keep_runs(const hep_dropout *d, uint64_t index, int runs, uint64_t stride, int count)
{
    static uint16_t got[MAX_RUNS * MAX_COUNT / 16 + 1];
    hep_dropout_keep_runs(d, index, runs, stride, count, got);
    for (int r = 0; r < runs; r++)
        for (int k = 0; k < count; k++) {
            const uint64_t i = index + (uint64_t)r * stride + (uint64_t)k;
            const int e = r * count + k, want = hep_dropout_factor1(d, i) != 0.0f;
            if (hep_kept(got, (size_t)e) != want) {
                printf("FAIL: bits %d: kept bits of runs %d x %d from %llu stride %llu: element %llu got %d, want %d\n",
                       d->bits, runs, count, (unsigned long long)index, (unsigned long long)stride,
                       (unsigned long long)i, !want, want);
                return 1;
            }
        }
    return 0;
}

/* The layers' runs as kept bits: multiples of 16; then a few others. */
static int check_keep_path(const hep_dropout *d)
{
    int failed = 0;
    failed += check_keep_runs(d, 14336ull * 5, 112, 128, 128);   /* a first conv's output row, all blocks */
    failed += check_keep_runs(d, 14336ull * 5 + 64, 32, 128, 64);   /* one block of a row */
    failed += check_keep_runs(d, 4096ull * 9 + 16, 28, 32, 16);     /* 16 channels of 32 */
    srand(11u + (unsigned)d->bits);
    for (int c = 0; c < 300; c++) {
        const int runs = 1 + rand() % MAX_RUNS, count = 16 * (1 + rand() % (MAX_COUNT / 16));
        const uint64_t stride = (uint64_t)count + 16u * (uint64_t)(rand() % 3 ? rand() % 12 : 0);
        const uint64_t index = 16u * (((uint64_t)rand() << 16) ^ (uint64_t)rand());
        failed += check_keep_runs(d, index, runs, stride, count);
    }
    for (int c = 0; c < 20; c++)   /* not on multiples of 16 */
        failed += check_keep_runs(d, (uint64_t)rand(), 1 + rand() % 5, 200 + (uint64_t)(rand() % 50), 1 + rand() % 199);
    return failed;
}

/* Random runs, plus the shapes the layers use (whole rows, one channel
 * block of a pixel, a dense block of 64). */
static int check_vector_path(const hep_dropout *d)
{
    int failed = 0;
    failed += check_runs(d, 14336ull * 5, 112, 128, 128);   /* a first conv's output row, all blocks */
    failed += check_runs(d, 14336ull * 5 + 64, 112, 128, 64);   /* its second channel block */
    failed += check_runs(d, 512ull * 3 + 448, 1, 0, 64);       /* a dense block */
    srand(7u + (unsigned)d->bits);
    for (int c = 0; c < 300; c++) {
        const int runs = 1 + rand() % MAX_RUNS, count = 1 + rand() % MAX_COUNT;
        const uint64_t stride = (uint64_t)count + (uint64_t)(rand() % 3 ? rand() % 200 : 0);
        const uint64_t index = ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        failed += check_runs(d, index, runs, stride, count);
    }
    return failed;
}

static int check_fraction(const hep_dropout *d, float keep)
{
    enum { N = 1 << 22, CHUNK = 4096 };
    static float f[CHUNK], g[CHUNK];
    hep_dropout other_step = *d, other_layer = *d;
    other_step.step += 1;
    other_layer.layer += 1;
    double kept = 0, both_step = 0, both_layer = 0;
    for (uint64_t i = 0; i < N; i += CHUNK) {
        hep_dropout_factors(d, i, CHUNK, f);
        for (int k = 0; k < CHUNK; k++) kept += f[k] != 0.0f;
        hep_dropout_factors(&other_step, i, CHUNK, g);
        for (int k = 0; k < CHUNK; k++) both_step += f[k] != 0.0f && g[k] != 0.0f;
        hep_dropout_factors(&other_layer, i, CHUNK, g);
        for (int k = 0; k < CHUNK; k++) both_layer += f[k] != 0.0f && g[k] != 0.0f;
    }
    const double p = d->threshold / 65536.0, sd = sqrt(p * (1 - p) / N);
    const double frac = kept / N, step_frac = both_step / kept, layer_frac = both_layer / kept;
    const double sd_kept = sqrt(p * (1 - p) / kept);
    const int bad = fabs(frac - p) > 5 * sd || fabs(step_frac - p) > 5 * sd_kept || fabs(layer_frac - p) > 5 * sd_kept;
    printf("  keep %-9g threshold %5u, %2d bits: kept %.5f (want %.5f); of those, kept again at the next step "
           "%.5f, by the next layer %.5f %s\n",
           keep, d->threshold, d->bits, frac, p, step_frac, layer_frac, bad ? "FAIL" : "ok");
    return bad;
}

/* The layout before draws took fewer bits than 16. */
static int check_16bit_layout(uint64_t seed)
{
    for (uint64_t index = 0; index < 4096; index += 37) {
        uint64_t counter = ((index >> 6) << 3) | (index & 7);
        philox4x32_ctr_t ctr = { { (uint32_t)counter, (uint32_t)(counter >> 32), 9u, 3u } };
        philox4x32_key_t key = { { (uint32_t)seed, (uint32_t)(seed >> 32) } };
        philox4x32_ctr_t r = philox4x32(ctr, key);
        uint32_t w = r.v[(index >> 4) & 3];
        uint32_t want = ((index >> 3) & 1) ? w >> 16 : w & 0xffffu;
        if (hep_rng_draw(seed, 9, 3, index, 16) != want) {
            printf("FAIL: 16-bit draw of element %llu differs from the earlier layout\n", (unsigned long long)index);
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    /* 0.5: 1 bit; 0.75: 2; 0.8125 (13/16): 4; 0.50390625 (129/256): 8; 0.7: 16 */
    static const float keeps[] = { 0.5f, 0.75f, 0.8125f, 0.50390625f, 0.7f, 0.25f, 0.9f };
    static const int bits[] = { 1, 2, 4, 8, 16, 2, 16 };
    int failed = 0;
    for (int k = 0; k < 7; k++) {
        const hep_dropout d = hep_dropout_make(1, keeps[k], 0x123456789abcull, 77, 2);
        if (d.bits != bits[k]) {
            printf("FAIL: keep %g: %d draw bits, want %d\n", keeps[k], d.bits, bits[k]);
            failed++;
        }
        int bad = check_vector_path(&d);
        printf("  keep %-9g %2d bits: vectorised runs against the scalar draws: %s\n", keeps[k], d.bits,
               bad ? "FAIL" : "ok");
        failed += bad;
        bad = check_keep_path(&d);
        printf("  keep %-9g %2d bits: kept bits against the scalar draws: %s\n", keeps[k], d.bits, bad ? "FAIL" : "ok");
        failed += bad;
        failed += check_fraction(&d, keeps[k]);
    }
    failed += check_16bit_layout(0xfeedull);
    printf("dropout draws: %s\n", failed ? "FAIL" : "all checks pass");
    return failed ? 1 : 0;
}
