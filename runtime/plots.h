/* SVG plots a browser opens: training and validation loss against step,
 * and the ROC curve of the last evaluation (signal efficiency against
 * background rejection 1/eff_B on a log scale, AUC in the legend). Files
 * are written to a temporary name and renamed. */
#ifndef HEP_PLOTS_H
#define HEP_PLOTS_H

typedef struct {
    const char *name;
    const char *color;
    int n;
    const double *x, *y;
} hep_series;

/* Line chart; logy: logarithmic y axis. Returns 0 or -1 (errno set). */
int hep_plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                   const hep_series *series, int nseries, int logy);

/* ROC of class `positive` against the rest from evaluation records
 * [n][K + 3] (probabilities, label, weight, normweight). */
int hep_plot_roc(const char *path, const float *records, long n, int K, int positive, double auc);

/* A growing (step, loss) series for the loss plot. */
typedef struct { int n, cap; double *step, *loss; } hep_curve;
void hep_curve_add(hep_curve *c, double step, double loss);
void hep_curve_free(hep_curve *c);

/* outputpath/plots/loss.svg from the curves, and roc.svg from evaluation
 * records when there are some (records may be NULL). Exits on failure. */
void hep_write_plots(const char *outputpath, const hep_curve *train, const hep_curve *val, const float *records,
                     long n, int classes, double auc);

#endif
