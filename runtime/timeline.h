/* --timeline=FILE: a Chrome trace (chrome://tracing, ui.perfetto.dev) of a
 * few training steps on rank 0: data wait, each layer's forward, backward
 * and (when several ranks) the gradient allreduce, the optimiser. Layer
 * events come from the generated code's per-layer timers: forward layers
 * run one after another and are laid out as measured; the convolutions'
 * backward runs image by image through all layers, so each backward event
 * shows that layer's summed share of the backward. */
#ifndef HEP_TIMELINE_H
#define HEP_TIMELINE_H

#include <stdio.h>

typedef struct {
    FILE *f;
    int events;
    double origin;
} hep_timeline;

int hep_timeline_open(hep_timeline *t, const char *path);   /* 0 or -1 */
void hep_timeline_event(hep_timeline *t, const char *name, const char *category, double start, double seconds);
/* 0, or the errno of a write that failed (the trace is then cut short:
 * a diagnostic, no reason to stop a run). */
int hep_timeline_close(hep_timeline *t);

#endif
