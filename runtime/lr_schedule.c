/* Learning-rate schedules (see lr_schedule.h). */
#include "lr_schedule.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"
#include "util.h"

void hep_lr_constant(hep_lr_schedule *s, double rate)
{
    memset(s, 0, sizeof *s);
    s->mode = HEP_LR_CONSTANT;
    s->n = 1;
    s->rate[0] = rate;
}

double hep_lr_at(const hep_lr_schedule *s, long step)
{
    const int n = s->n;
    if (s->mode == HEP_LR_POLYNOMIAL) {
        const double span = (double)s->step[n - 1];
        if (span <= 0) return s->rate[n - 1];
        const double t = step < s->step[n - 1] ? (double)step : span;
        return (s->rate[0] - s->rate[n - 1]) * pow(1.0 - t / span, s->power) + s->rate[n - 1];
    }
    if (s->mode == HEP_LR_PIECEWISE) {
        /* rates r_0, r_0, r_1, ... over boundaries s_0, s_1, ...: the rate
         * after boundary i (1-based in that list) is r_(i-1) */
        double rate = s->rate[0];
        for (int i = 1; i < n; i++)
            if (step > s->step[i]) rate = s->rate[i];
        return rate;
    }
    return s->rate[0];
}

static int cmp_point(const void *a, const void *b)
{
    const long *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

/* learning_rate_params: { "<step>": rate }, sorted into s. */
static const char *parse_points(hep_lr_schedule *s, const cJSON *params, char *detail, size_t len)
{
    if (!cJSON_IsObject(params) || !params->child) return "'learning_rate_params' as an object of \"<step>\": rate";
    struct { long step; double rate; } points[HEP_LR_MAX_POINTS];
    int n = 0;
    for (const cJSON *p = params->child; p; p = p->next) {
        char *end;
        long step = strtol(p->string, &end, 10);
        if (!*p->string || *end || step < 0) {
            snprintf(detail, len, " (got the key \"%s\")", p->string);
            return "'learning_rate_params' keys that are step numbers >= 0";
        }
        if (!cJSON_IsNumber(p) || !isfinite(p->valuedouble) || p->valuedouble <= 0) {
            snprintf(detail, len, " (step %ld)", step);
            return "'learning_rate_params' rates that are positive numbers";
        }
        if (n == HEP_LR_MAX_POINTS) return "at most 64 'learning_rate_params'";
        points[n].step = step;
        points[n++].rate = p->valuedouble;
    }
    qsort(points, (size_t)n, sizeof points[0], cmp_point);
    for (int i = 1; i < n; i++)
        if (points[i].step == points[i - 1].step) {
            snprintf(detail, len, " (step %ld twice)", points[i].step);
            return "'learning_rate_params' with distinct steps";
        }
    for (int i = 0; i < n; i++) { s->step[i] = points[i].step; s->rate[i] = points[i].rate; }
    s->n = n;
    return NULL;
}

const char *hep_lr_parse_json(hep_lr_schedule *s, const char *json, char *detail, size_t len)
{
    detail[0] = '\0';
    cJSON *o = cJSON_Parse(json);
    const char *want = NULL;
    memset(s, 0, sizeof *s);
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "mode"), *power = cJSON_GetObjectItemCaseSensitive(o, "power");
    if (!cJSON_IsObject(o)) want = "a number or an object {\"mode\", \"power\", \"learning_rate_params\"}";
    else if (!cJSON_IsString(mode) || (strcmp(mode->valuestring, "piecewise") && strcmp(mode->valuestring, "polynomial")))
        want = "'mode' \"piecewise\" or \"polynomial\"";
    else if (power && (!cJSON_IsNumber(power) || !isfinite(power->valuedouble) || power->valuedouble < 0))
        want = "'power' a number >= 0";
    else
        want = parse_points(s, cJSON_GetObjectItemCaseSensitive(o, "learning_rate_params"), detail, len);
    for (const cJSON *k = o && cJSON_IsObject(o) ? o->child : NULL; k && !want; k = k->next)
        if (strcmp(k->string, "mode") && strcmp(k->string, "power") && strcmp(k->string, "learning_rate_params")) {
            snprintf(detail, len, " (got '%s')", k->string);
            want = "only the keys 'mode', 'power' and 'learning_rate_params'";
        }
    if (!want) {
        s->mode = strcmp(mode->valuestring, "piecewise") ? HEP_LR_POLYNOMIAL : HEP_LR_PIECEWISE;
        s->power = power ? power->valuedouble : 1.0;
    }
    cJSON_Delete(o);
    return want;
}

void hep_lr_describe(const hep_lr_schedule *s, char *out, size_t len)
{
    char a[32], b[32];
    if (s->mode == HEP_LR_CONSTANT) {
        hep_shortest_double(s->rate[0], out, len);
        return;
    }
    hep_shortest_double(s->power, a, sizeof a);
    size_t used = (size_t)snprintf(out, len, "{\"mode\": \"%s\", \"power\": %s, \"learning_rate_params\": {",
                                   s->mode == HEP_LR_PIECEWISE ? "piecewise" : "polynomial", a);
    for (int i = 0; i < s->n && used < len; i++) {
        hep_shortest_double(s->rate[i], b, sizeof b);
        used += (size_t)snprintf(out + used, len - used, "%s\"%ld\": %s", i ? ", " : "", s->step[i], b);
    }
    if (used < len) snprintf(out + used, len - used, "}}");
}
