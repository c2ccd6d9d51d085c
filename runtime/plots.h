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

#endif
