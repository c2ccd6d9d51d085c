/* oneDNN's convolutions on the very shapes of a generated network (read from
 * its layer table), with oneDNN's own preferred (blocked) formats: the peer
 * `make bench` compares hepcnn against. Built when libdnnl-dev is installed
 * (a benchmark-only dependency). */
#ifndef HEP_BENCH_ONEDNN_H
#define HEP_BENCH_ONEDNN_H
#include <model.h>
/* Median milliseconds per conv layer (indexed like info->layers; 0 for
 * other layers) of forward-training, backward-data and backward-weights
 * (with bias): oneDNN's best, the faster of its direct and its Winograd
 * algorithm where it offers Winograd for the shape and CPU; alg[l][pass]
 * says which ('d' direct, 'w' Winograd); direct_ms the direct algorithm's
 * times. Returns 0, or -1 with a message on stderr. */
int hep_onednn_conv_times(const hep_model_info *info, int batch, int reps, double (*ms)[3], char (*alg)[3],
                          double (*direct_ms)[3]);
/* The instruction set oneDNN's code runs with ("AVX-512", "AVX2", ...): the
 * host's, or less where ONEDNN_MAX_CPU_ISA caps it (make bench's emulation of
 * an AVX2-only host). */
const char *hep_onednn_isa(void);
#endif
