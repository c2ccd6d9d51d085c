/* SVG plots a browser opens: training and validation loss against step,
 * and the ROC curve of the last evaluation (signal efficiency against
 * background rejection 1/eff_B on a log scale, AUC in the legend). Files
 * are written to a temporary name and renamed. */
#ifndef HEP_PLOTS_H
#define HEP_PLOTS_H

#include "cuts.h"

typedef struct {
    const char *name;
    const char *color;
    int n;
    const double *x, *y;
    int marker;           /* 1: a circle per point instead of a line */
} hep_series;

/* Line chart, written to a temporary file and renamed; logy: logarithmic y
 * axis. A failed write is a warning naming the file: the run goes on. */
void hep_plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                    const hep_series *series, int nseries, int logy);

/* A growing (step, loss) series for the loss plot. */
typedef struct { int n, cap; double *step, *loss; } hep_curve;
void hep_curve_add(hep_curve *c, double step, double loss);
void hep_curve_free(hep_curve *c);

/* outputpath/plots/loss.svg from the curves, and roc.svg and roc_zoom.svg
 * from evaluation records when there are some (records may be NULL; cuts
 * may be NULL). A plot that cannot be written is a warning. */
void hep_write_plots(const char *outputpath, const hep_curve *train, const hep_curve *val, const float *records,
                     long n, int classes, double auc, const hep_cuts *cuts);
/* --mode=test: plots/roc_test.svg and roc_test_zoom.svg. */
void hep_write_test_plots(const char *outputpath, const float *records, long n, int classes, double auc,
                          const hep_cuts *cuts);

#endif
