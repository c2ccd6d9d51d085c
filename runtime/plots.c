/* SVG plots (see plots.h). Plain SVG 1.1, no scripts, no external files. */
#define _POSIX_C_SOURCE 200809L
#include "plots.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

enum { WIDTH = 640, HEIGHT = 420, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50 };

static double nice_step(double range)
{
    double raw = range / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
}

static void escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

/* The plotting area: data ranges and their mapping to pixels. */
typedef struct { double x0, x1, y0, y1, pw, ph; int logy; } frame;

static int usable(const frame *fr, double x, double y)
{
    return isfinite(x) && isfinite(y) && !(fr->logy && y <= 0);
}
static double px(const frame *fr, double x) { return LEFT + (x - fr->x0) / (fr->x1 - fr->x0) * fr->pw; }
static double py(const frame *fr, double y)
{
    if (fr->logy) y = log10(y);
    return TOP + fr->ph - (y - fr->y0) / (fr->y1 - fr->y0) * fr->ph;
}

static frame fit(const hep_series *series, int nseries, int logy)
{
    frame fr = { INFINITY, -INFINITY, INFINITY, -INFINITY, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM, logy };
    for (int s = 0; s < nseries; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!usable(&fr, x, y)) continue;
            if (logy) y = log10(y);
            fr.x0 = fmin(fr.x0, x); fr.x1 = fmax(fr.x1, x); fr.y0 = fmin(fr.y0, y); fr.y1 = fmax(fr.y1, y);
        }
    if (!(fr.x1 >= fr.x0)) { fr.x0 = 0; fr.x1 = 1; }
    if (!(fr.y1 >= fr.y0)) { fr.y0 = 0; fr.y1 = 1; }
    if (fr.x1 == fr.x0) fr.x1 = fr.x0 + 1;
    if (fr.y1 == fr.y0) { fr.y1 += 0.5; fr.y0 -= 0.5; }
    if (logy) { fr.y0 = floor(fr.y0); fr.y1 = ceil(fr.y1); }
    return fr;
}

static void write_axes(FILE *f, const frame *fr, const char *title, const char *xlabel, const char *ylabel)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n<text x=\"%d\" y=\"24\" font-size=\"15\" "
               "text-anchor=\"middle\">", WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH / 2);
    escape(f, title);
    fprintf(f, "</text>\n<g stroke=\"#999\" stroke-width=\"1\" fill=\"none\">\n"
               "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\"/>\n</g>\n", LEFT, TOP, fr->pw, fr->ph);
    double xs = nice_step(fr->x1 - fr->x0);
    for (double t = ceil(fr->x0 / xs) * xs; t <= fr->x1 + 1e-9 * xs; t += xs)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                px(fr, t), (double)TOP, px(fr, t), TOP + fr->ph, px(fr, t), TOP + fr->ph + 16, t);
    double ys = fr->logy ? 1 : nice_step(fr->y1 - fr->y0);
    for (double t = ceil(fr->y0 / ys) * ys; t <= fr->y1 + 1e-9 * ys; t += ys) {
        double v = fr->logy ? pow(10, t) : t;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", LEFT, py(fr, v), LEFT + fr->pw,
                py(fr, v), LEFT - 6, py(fr, v) + 4, v);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">", LEFT + fr->pw / 2, HEIGHT - 12);
    escape(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(16 %.0f) rotate(-90)\" text-anchor=\"middle\">", TOP + fr->ph / 2);
    escape(f, ylabel);
    fprintf(f, "</text>\n");
}

/* A line, or (marker) one circle per point, and its legend entry. */
static void write_series(FILE *f, const frame *fr, const hep_series *s, int index)
{
    fprintf(f, s->marker ? "<g class=\"series\" data-name=\"" : "<polyline class=\"series\" data-name=\"");
    escape(f, s->name);
    if (s->marker) fprintf(f, "\" fill=\"%s\">", s->color);
    else fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", s->color);
    for (int i = 0; i < s->n; i++) {
        if (!usable(fr, s->x[i], s->y[i])) continue;
        if (s->marker) fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>", px(fr, s->x[i]), py(fr, s->y[i]));
        else fprintf(f, "%.1f,%.1f ", px(fr, s->x[i]), py(fr, s->y[i]));
    }
    fprintf(f, s->marker ? "</g>\n" : "\"/>\n");
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" fill=\"%s\">", LEFT + fr->pw - 260, TOP + 18 + 16 * index, s->color);
    escape(f, s->name);
    fprintf(f, "</text>\n");
}

/* A plot is drawn again from what the run holds at its next evaluation (a
 * resumed run's loss curve from its checkpoints): one that cannot be
 * written (a full disk, a file system failing) is no cause to stop. */
static void plot_failed(const char *path, const char *tmp, int err)
{
    if (tmp) unlink(tmp);
    fprintf(stderr, "hepcnn: warning: writing plot %s failed (%s): going on without it\n", path,
            err ? strerror(err) : "an unknown error");
}

void hep_plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                    const hep_series *series, int nseries, int logy)
{
    frame fr = fit(series, nseries, logy);
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        plot_failed(path, NULL, errno);
        return;
    }
    errno = 0;   /* then a failed write's */
    write_axes(f, &fr, title, xlabel, ylabel);
    for (int s = 0; s < nseries; s++) write_series(f, &fr, &series[s], s);
    fprintf(f, "</svg>\n");
    const int write_error = ferror(f), err = errno;
    if (fclose(f) != 0 || write_error) plot_failed(path, tmp, write_error && err ? err : errno);
    else if (rename(tmp, path) != 0) plot_failed(path, tmp, errno);
}

typedef struct { float score; int positive; float weight; } scored;

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x > y ? -1 : x < y;
}

/* The ROC curve of class `positive` against the rest: for each distinct
 * score, the signal and background efficiencies of selecting at least it
 * (weighted). Returns the point count; *sig and *bkg are malloc'd. */
static int roc_curve(const float *records, long n, int K, int positive, double **sig, double **bkg)
{
    const int stride = K + HEP_REC_FIELDS;
    scored *s = hep_xmalloc(sizeof(scored) * (size_t)(n > 0 ? n : 1), "ROC points");
    double pos = 0, neg = 0;
    for (long i = 0; i < n; i++) {
        const float *r = records + i * stride;
        s[i] = (scored){ r[positive], (int)r[K + HEP_REC_LABEL] == positive, r[K + HEP_REC_WEIGHT] };
        if (s[i].positive) pos += s[i].weight; else neg += s[i].weight;
    }
    qsort(s, (size_t)n, sizeof(scored), by_score_desc);
    *sig = hep_xmalloc(sizeof(double) * (size_t)(n + 1), "ROC x");
    *bkg = hep_xmalloc(sizeof(double) * (size_t)(n + 1), "ROC y");
    int m = 0;
    double tp = 0, fp = 0;
    for (long i = 0; i < n && pos > 0 && neg > 0; i++) {
        if (s[i].positive) tp += s[i].weight; else fp += s[i].weight;
        if (i + 1 < n && s[i + 1].score == s[i].score) continue;
        (*sig)[m] = tp / pos;
        (*bkg)[m++] = fp / neg;
    }
    free(s);
    return m;
}

/* Signal efficiency against background rejection 1/eff_B on a log scale,
 * AUC in the legend; with cuts, the standard cuts' point and the CNN's at
 * the same signal efficiency. */
static void plot_roc(const char *path, const char *title, const double *sig, const double *bkg, int m, int positive,
                    double auc, const hep_cuts *cuts)
{
    double *rejection = hep_xmalloc(sizeof(double) * (size_t)(m > 0 ? m : 1), "ROC rejection");
    for (int i = 0; i < m; i++) rejection[i] = bkg[i] > 0 ? 1 / bkg[i] : INFINITY;   /* infinite is left out */
    char name[96];
    snprintf(name, sizeof name, "class %d vs rest, AUC = %.4f", positive, auc);
    double cx[1] = { 0 }, cy[1] = { 0 }, nx[1] = { 0 }, ny[1] = { 0 };
    hep_series series[3] = { { name, "#c0392b", m, sig, rejection, 0 } };
    int nseries = 1;
    if (cuts) {
        cx[0] = nx[0] = cuts->cut_signal_eff;
        cy[0] = cuts->cut_background_eff > 0 ? 1 / cuts->cut_background_eff : INFINITY;
        ny[0] = cuts->cnn_background_eff > 0 ? 1 / cuts->cnn_background_eff : INFINITY;
        series[nseries++] = (hep_series){ "standard cuts (psr)", "#1f77b4", 1, cx, cy, 1 };
        series[nseries++] = (hep_series){ "CNN at the cuts' signal efficiency", "#2ca02c", 1, nx, ny, 1 };
    }
    hep_plot_lines(path, title, "signal efficiency", "background rejection 1/eff_B", series, nseries, 1);
    free(rejection);
}

/* True against false positive rate, zoomed on the low false positive rates. */
static void plot_roc_zoom(const char *path, const char *title, const double *sig, const double *bkg, int m,
                         const hep_cuts *cuts)
{
    /* the original's zoom (false positive rate up to 0.0004), widened to
     * show the cuts' point */
    double zoom = 4e-4;
    if (cuts && 2 * cuts->cut_background_eff > zoom) zoom = 2 * cuts->cut_background_eff;
    double *x = hep_xmalloc(sizeof(double) * (size_t)(m + 2), "zoom x"), *y = hep_xmalloc(sizeof(double) * (size_t)(m + 2), "zoom y");
    int k = 0;
    x[k] = 0; y[k++] = 0;
    for (int i = 0; i < m && bkg[i] <= zoom; i++) { x[k] = bkg[i]; y[k++] = sig[i]; }
    double cx[1] = { 0 }, cy[1] = { 0 };
    hep_series series[2] = { { "CNN", "#c0392b", k, x, y, 0 } };
    int nseries = 1;
    if (cuts) {
        cx[0] = cuts->cut_background_eff;
        cy[0] = cuts->cut_signal_eff;
        series[nseries++] = (hep_series){ "standard cuts (psr)", "#1f77b4", 1, cx, cy, 1 };
    }
    hep_plot_lines(path, title, "false positive rate (background efficiency)",
                   "true positive rate (signal efficiency)", series, nseries, 0);
    free(x); free(y);
}

void hep_curve_add(hep_curve *c, double step, double loss)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        double *s = realloc(c->step, sizeof(double) * c->cap), *l = realloc(c->loss, sizeof(double) * c->cap);
        if (!s || !l) hep_fatal("out of memory recording the loss curve");
        c->step = s; c->loss = l;
    }
    c->step[c->n] = step;
    c->loss[c->n] = loss;
    c->n++;
}

void hep_curve_free(hep_curve *c)
{
    free(c->step);
    free(c->loss);
    c->step = c->loss = NULL;
    c->n = c->cap = 0;
}

static void roc_pair(const char *dir, const char *stem, const char *what, const float *records, long n, int classes,
                     double auc, const hep_cuts *cuts)
{
    char path[4300], title[128];
    const int positive = classes > 2 ? classes - 1 : 1;
    snprintf(path, sizeof path, "%s/%s.svg", dir, stem);
    snprintf(title, sizeof title, "ROC curve (%s)", what);
    double *sig, *bkg;
    const int m = roc_curve(records, n, classes, positive, &sig, &bkg);
    plot_roc(path, title, sig, bkg, m, positive, auc, cuts);
    snprintf(path, sizeof path, "%s/%s_zoom.svg", dir, stem);
    snprintf(title, sizeof title, "ROC curve, low false positive rate (%s)", what);
    plot_roc_zoom(path, title, sig, bkg, m, cuts);
    free(sig);
    free(bkg);
}

/* outputpath/plots into dir: 0, or -1 after a warning. */
static int plots_dir(const char *outputpath, char *dir, size_t len)
{
    snprintf(dir, len, "%s/plots", outputpath);
    if (hep_mkdirs(dir) == 0) return 0;
    fprintf(stderr, "hepcnn: warning: cannot create %s (%s): going on without plots\n", dir, strerror(errno));
    return -1;
}

void hep_write_plots(const char *outputpath, const hep_curve *train, const hep_curve *val, const float *records,
                     long n, int classes, double auc, const hep_cuts *cuts)
{
    char dir[4200], path[4300];
    if (plots_dir(outputpath, dir, sizeof dir) != 0) return;
    hep_series s[2] = { { "training loss", "#1f77b4", train->n, train->step, train->loss, 0 },
                        { "validation loss", "#ff7f0e", val->n, val->step, val->loss, 0 } };
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    hep_plot_lines(path, "Loss", "step", "average loss", s, val->n ? 2 : 1, 0);
    if (records && n > 0) roc_pair(dir, "roc", "last evaluation", records, n, classes, auc, cuts);
}

void hep_write_test_plots(const char *outputpath, const float *records, long n, int classes, double auc,
                          const hep_cuts *cuts)
{
    char dir[4200];
    if (n > 0 && plots_dir(outputpath, dir, sizeof dir) == 0) roc_pair(dir, "roc_test", "test files", records, n, classes, auc, cuts);
}
