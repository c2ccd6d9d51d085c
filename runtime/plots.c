/* SVG plots (see plots.h). Plain SVG 1.1, no scripts, no external files. */
#define _POSIX_C_SOURCE 200809L
#include "plots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int hep_plot_lines(const char *path, const char *title, const char *xlabel, const char *ylabel,
                   const hep_series *series, int nseries, int logy)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int s = 0; s < nseries; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y) || (logy && y <= 0)) continue;
            if (logy) y = log10(y);
            x0 = fmin(x0, x); x1 = fmax(x1, x); y0 = fmin(y0, y); y1 = fmax(y1, y);
        }
    if (!(x1 >= x0)) { x0 = 0; x1 = 1; }
    if (!(y1 >= y0)) { y0 = 0; y1 = 1; }
    if (x1 == x0) x1 = x0 + 1;
    if (y1 == y0) { y1 += 0.5; y0 -= 0.5; }
    if (logy) { y0 = floor(y0); y1 = ceil(y1); }
    const double pw = WIDTH - LEFT - RIGHT, ph = HEIGHT - TOP - BOTTOM;
#define PX(x) (LEFT + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (TOP + ph - ((y) - y0) / (y1 - y0) * ph)
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n<text x=\"%d\" y=\"24\" font-size=\"15\" "
               "text-anchor=\"middle\">", WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH / 2);
    escape(f, title);
    fprintf(f, "</text>\n<g stroke=\"#999\" stroke-width=\"1\" fill=\"none\">\n"
               "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\"/>\n</g>\n", LEFT, TOP, pw, ph);
    /* ticks */
    double xs = nice_step(x1 - x0);
    for (double t = ceil(x0 / xs) * xs; t <= x1 + 1e-9 * xs; t += xs)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                PX(t), (double)TOP, PX(t), TOP + ph, PX(t), TOP + ph + 16, t);
    double ys = logy ? 1 : nice_step(y1 - y0);
    for (double t = ceil(y0 / ys) * ys; t <= y1 + 1e-9 * ys; t += ys) {
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", LEFT, PY(t), LEFT + pw, PY(t), LEFT - 6, PY(t) + 4);
        if (logy) fprintf(f, "%g", pow(10, t)); else fprintf(f, "%g", t);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">", LEFT + pw / 2, HEIGHT - 12);
    escape(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(16 %.0f) rotate(-90)\" text-anchor=\"middle\">", TOP + ph / 2);
    escape(f, ylabel);
    fprintf(f, "</text>\n");
    for (int s = 0; s < nseries; s++) {
        fprintf(f, "<polyline class=\"series\" data-name=\"");
        escape(f, series[s].name);
        fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", series[s].color);
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y) || (logy && y <= 0)) continue;
            fprintf(f, "%.1f,%.1f ", PX(x), PY(logy ? log10(y) : y));
        }
        fprintf(f, "\"/>\n<text x=\"%.0f\" y=\"%d\" fill=\"%s\">", LEFT + pw - 200, TOP + 18 + 16 * s, series[s].color);
        escape(f, series[s].name);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
#undef PX
#undef PY
    if (fclose(f) != 0) return -1;
    return rename(tmp, path);
}

typedef struct { float score; int positive; float weight; } scored;

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x > y ? -1 : x < y;
}

int hep_plot_roc(const char *path, const float *records, long n, int K, int positive, double auc)
{
    const int stride = K + 3;
    scored *s = hep_xmalloc(sizeof(scored) * (size_t)(n > 0 ? n : 1), "ROC points");
    double pos = 0, neg = 0;
    for (long i = 0; i < n; i++) {
        const float *r = records + i * stride;
        s[i] = (scored){ r[positive], (int)r[K] == positive, r[K + 1] };
        if (s[i].positive) pos += s[i].weight; else neg += s[i].weight;
    }
    qsort(s, (size_t)n, sizeof(scored), by_score_desc);
    double *x = hep_xmalloc(sizeof(double) * (size_t)(n + 1), "ROC x"), *y = hep_xmalloc(sizeof(double) * (size_t)(n + 1), "ROC y");
    int m = 0;
    double tp = 0, fp = 0;
    for (long i = 0; i < n; i++) {
        if (s[i].positive) tp += s[i].weight; else fp += s[i].weight;
        if (i + 1 < n && s[i + 1].score == s[i].score) continue;
        if (fp > 0 && pos > 0 && neg > 0) {      /* rejection is infinite before the first background */
            x[m] = tp / pos;
            y[m] = neg / fp;
            m++;
        }
    }
    char name[96];
    snprintf(name, sizeof name, "class %d vs rest, AUC = %.4f", positive, auc);
    hep_series series = { name, "#c0392b", m, x, y };
    int rc = hep_plot_lines(path, "ROC curve (last evaluation)", "signal efficiency",
                            "background rejection 1/eff_B", &series, 1, 1);
    free(s); free(x); free(y);
    return rc;
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

void hep_write_plots(const char *outputpath, const hep_curve *train, const hep_curve *val, const float *records,
                     long n, int classes, double auc)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/plots", outputpath);
    if (hep_mkdirs(dir) != 0) hep_fatal("cannot create %s", dir);
    hep_series s[2] = { { "training loss", "#1f77b4", train->n, train->step, train->loss },
                        { "validation loss", "#ff7f0e", val->n, val->step, val->loss } };
    snprintf(path, sizeof path, "%s/loss.svg", dir);
    if (hep_plot_lines(path, "Loss", "step", "average loss", s, val->n ? 2 : 1, 0) != 0)
        hep_fatal("cannot write %s", path);
    if (records && n > 0) {
        snprintf(path, sizeof path, "%s/roc.svg", dir);
        if (hep_plot_roc(path, records, n, classes, classes > 2 ? classes - 1 : 1, auc) != 0)
            hep_fatal("cannot write %s", path);
    }
}
