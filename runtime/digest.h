/* A 64-bit digest (FNV-1a over 32-bit words) that a checkpoint carries of
 * its own contents. HDF5's Fletcher-32 checksums cover each chunk's bytes
 * but not the metadata that says which chunk a dataset reads or whether it
 * is checked at all: a byte altered there let a checkpoint resume from
 * another dataset's values, or from unchecked ones (2 of 300 mutated
 * checkpoints). The digest is of what the run itself uses, compared after
 * reading it back. It finds damage, not a deliberate forgery. */
#ifndef HEP_DIGEST_H
#define HEP_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t h;
} hep_digest;

static inline hep_digest hep_digest_start(void)
{
    return (hep_digest){ 14695981039346656037ull };
}

/* Each step is a bijection of the state (xor, then a multiply by an odd
 * number), so any one changed word changes the result. */
static inline void hep_digest_add(hep_digest *d, const void *data, size_t bytes)
{
    const unsigned char *p = data;
    uint64_t h = d->h;
    size_t i = 0;
    for (; i + 4 <= bytes; i += 4) {
        uint32_t word;
        memcpy(&word, p + i, sizeof word);
        h = (h ^ word) * 1099511628211ull;
    }
    for (; i < bytes; i++) h = (h ^ p[i]) * 1099511628211ull;
    d->h = h;
}

/* The run record's part of a checkpoint's `digest`, after its parameters'
 * and untrained state's values: the input divisors, step, epoch, seed,
 * settings and (format 4 on; NULL before) the layer table's text, in this
 * order and these widths (the checkpoint writer and reader, and
 * hepcnn-export, all call this one). */
static inline void hep_digest_run_record(hep_digest *d, const float *channel_max, size_t channels, int64_t step,
                                         int32_t epoch, uint64_t seed, const char *settings, const char *layers)
{
    hep_digest_add(d, channel_max, sizeof(float) * channels);
    hep_digest_add(d, &step, sizeof step);
    hep_digest_add(d, &epoch, sizeof epoch);
    hep_digest_add(d, &seed, sizeof seed);
    if (settings) hep_digest_add(d, settings, strlen(settings));
    if (layers) hep_digest_add(d, layers, strlen(layers));
}

/* What a checkpoint of `format` (3 on) has in its `digest`, for the message
 * when it does not match. */
static inline const char *hep_digest_run_contents(int format)
{
    return format >= 4 ? "the weights, input divisors, step, seed, settings or layer table"
                       : "the weights, input divisors, step, seed or settings";
}

#endif
