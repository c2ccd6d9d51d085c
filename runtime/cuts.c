/* The standard-cuts comparison (see cuts.h). */
#include "cuts.h"

#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "util.h"

typedef struct { float score, weight; int signal; } event;

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const event *)a)->score, y = ((const event *)b)->score;
    return (x < y) - (x > y);
}

/* The cuts' working point; -1 when psr is not a 0/1 decision or a class
 * or the cuts' selection is empty. */
static int cut_point(const float *records, long n, int stride, int classes, hep_cuts *out, double *sig_w,
                     double *bkg_w, char *why, size_t len)
{
    double sig_pass = 0, bkg_pass = 0;
    *sig_w = *bkg_w = 0;
    for (long i = 0; i < n; i++) {
        const float *r = records + i * stride;
        float psr = r[classes + HEP_REC_PSR], w = r[classes + HEP_REC_WEIGHT];
        if (psr != 0.0f && psr != 1.0f) {
            snprintf(why, len, "psr holds %g, not the cuts' 0/1 decision (files from before hepcnn-datagen wrote it?)", psr);
            return -1;
        }
        int signal = (int)r[classes + HEP_REC_LABEL] == 1;
        *(signal ? sig_w : bkg_w) += w;
        if (psr == 1.0f) *(signal ? &sig_pass : &bkg_pass) += w;
    }
    if (*sig_w <= 0 || *bkg_w <= 0) { snprintf(why, len, "the evaluation lacks signal or background events"); return -1; }
    if (sig_pass <= 0) { snprintf(why, len, "the cuts select no signal event"); return -1; }
    out->cut_signal_eff = sig_pass / *sig_w;
    out->cut_background_eff = bkg_pass / *bkg_w;
    return 0;
}

int hep_cuts_compare(const float *records, long n, int classes, hep_cuts *out, char *why, size_t len)
{
    const int stride = classes + HEP_REC_FIELDS;
    double sig_w, bkg_w;
    if (classes != 2) { snprintf(why, len, "the network has %d classes, not signal and background", classes); return -1; }
    if (cut_point(records, n, stride, classes, out, &sig_w, &bkg_w, why, len) != 0) return -1;
    event *e = hep_xmalloc(sizeof(event) * (size_t)n, "the cuts comparison");
    for (long i = 0; i < n; i++) {
        const float *r = records + i * stride;
        e[i] = (event){ r[1], r[classes + HEP_REC_WEIGHT], (int)r[classes + HEP_REC_LABEL] == 1 };
    }
    qsort(e, (size_t)n, sizeof(event), by_score_desc);
    double sig = 0, bkg = 0;
    for (long i = 0; i < n;) {   /* events of equal score are selected together */
        long j = i;
        for (; j < n && e[j].score == e[i].score; j++) *(e[j].signal ? &sig : &bkg) += e[j].weight;
        out->cnn_threshold = e[i].score;
        i = j;
        if (sig >= out->cut_signal_eff * sig_w * (1 - 1e-12)) break;
    }
    out->cnn_background_eff = bkg / bkg_w;
    free(e);
    return 0;
}
