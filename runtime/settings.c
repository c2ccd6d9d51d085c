/* Training settings (see settings.h). */
#include "settings.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "numtext.h"
#include "util.h"

char *hep_settings_json(const hep_config *cfg, long global_batch, long steps_per_epoch)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seed", (double)cfg->seed);
    if (cfg->lr.mode == HEP_LR_CONSTANT) {
        cJSON_AddNumberToObject(o, "learning_rate", cfg->lr.rate[0]);
    } else {
        char schedule[4096];
        hep_lr_describe(&cfg->lr, schedule, sizeof schedule);
        cJSON_AddStringToObject(o, "learning_rate", schedule);
    }
    cJSON_AddNumberToObject(o, "weight_decay", cfg->weight_decay);
    cJSON_AddNumberToObject(o, "dropout_p", cfg->dropout_p);
    cJSON_AddStringToObject(o, "optimizer", cfg->optimizer);
    cJSON_AddNumberToObject(o, "global_batch", (double)global_batch);
    cJSON_AddNumberToObject(o, "steps_per_epoch", (double)steps_per_epoch);
    cJSON_AddStringToObject(o, "data", cfg->dummy_data ? "dummy" : "files");
    cJSON_AddStringToObject(o, "loss_weight", cfg->loss_weight);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) hep_fatal("out of memory writing the training settings");
    return text;
}

static void show(const cJSON *v, char *out, size_t cap)
{
    if (!v) snprintf(out, cap, "(not recorded)");
    else if (cJSON_IsNumber(v)) hep_shortest_double(v->valuedouble, out, cap);
    else if (cJSON_IsString(v)) snprintf(out, cap, "%s", v->valuestring);
    else snprintf(out, cap, "(unreadable)");
}

static int same(const cJSON *a, const cJSON *b)
{
    if (!a || !b) return 0;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a) && cJSON_IsString(b)) return strcmp(a->valuestring, b->valuestring) == 0;
    return 0;
}

int hep_settings_diff(const char *saved, const char *now, char *out, size_t cap)
{
    cJSON *a = cJSON_Parse(saved), *b = cJSON_Parse(now);
    int differ = 0;
    size_t used = 0;
    out[0] = '\0';
    if (!a) {
        snprintf(out, cap, "\n  (the checkpoint's settings are unreadable)");
        differ = 1;
    }
    for (const cJSON *item = b ? b->child : NULL; a && item; item = item->next) {
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(a, item->string);
        if (same(old, item)) continue;
        char was[128], is[128];
        show(old, was, sizeof was);
        show(item, is, sizeof is);
        int w = snprintf(out + used, cap - used, "\n  %s: %s in the checkpoint, %s now", item->string, was, is);
        if (w > 0 && (size_t)w < cap - used) used += (size_t)w;
        differ++;
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return differ;
}
