/* The loss curves of a run's earlier jobs (see curve_history.h). */
#define _POSIX_C_SOURCE 200809L
#include "curve_history.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A record's number under `key`, or 0 when it has none. */
static int number(const cJSON *record, const char *key, double *value)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(record, key);
    if (!cJSON_IsNumber(item)) return 0;
    *value = item->valuedouble;
    return 1;
}

/* The curve a record belongs to: training reports carry images_per_s,
 * evaluations of the validation set eval = "val"; NULL for the others. */
static hep_curve *curve_of(const cJSON *record, hep_curve *train, hep_curve *val)
{
    const cJSON *eval = cJSON_GetObjectItemCaseSensitive(record, "eval");
    if (eval) return cJSON_IsString(eval) && !strcmp(eval->valuestring, "val") ? val : NULL;
    return cJSON_GetObjectItemCaseSensitive(record, "images_per_s") ? train : NULL;
}

/* Drops the points at `step` and after (the curve's steps increase). */
static void cut_from(hep_curve *c, double step)
{
    while (c->n > 0 && c->step[c->n - 1] >= step) c->n--;
}

static void add_record(const char *line, hep_curve *train, hep_curve *val)
{
    cJSON *record = cJSON_Parse(line);
    hep_curve *c = record ? curve_of(record, train, val) : NULL;
    double step, loss;
    if (c && number(record, "step", &step) && number(record, "loss", &loss)) {
        cut_from(c, step);   /* a later job recording a step again */
        hep_curve_add(c, step, loss);
    }
    cJSON_Delete(record);
}

int hep_curves_reload(const char *outputpath, long upto_step, hep_curve *train, hep_curve *val)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/logs/metrics.jsonl", outputpath);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        hep_fatal("cannot read %s (the loss curves of the run's earlier jobs): %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) add_record(line, train, val);
    const int read_error = ferror(f);
    free(line);
    fclose(f);
    if (read_error) hep_fatal("reading %s (the loss curves of the run's earlier jobs) failed", path);
    cut_from(train, (double)upto_step + 1);   /* recorded past the checkpoint by the job it resumes */
    cut_from(val, (double)upto_step + 1);
    return train->n + val->n;
}
