/* JSON config + command-line overrides (see config.h). One table lists every
 * key with its type and where it lives; parsing, overriding, defaults and the
 * "known keys" message all read that table. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

enum key_type { K_INT, K_LONG, K_DOUBLE, K_BOOL, K_STRING, K_SHAPE, K_OBJECT, K_LRATE };

typedef struct {
    const char *name;
    enum key_type type;
    size_t offset;
    size_t size;            /* K_STRING buffer size */
    const char *fallback;   /* default, as the text a user would write */
    int cli_only;           /* not one of the seed's keys: accepted in both places */
} key_spec;

#define F(field) offsetof(hep_config, field), sizeof(((hep_config *)0)->field)
static const key_spec keys[] = {
    { "input_shape", K_SHAPE, F(input_shape), "[3,64,64]", 0 },
    { "inputpath", K_STRING, F(inputpath), ".", 0 },
    { "outputpath", K_STRING, F(outputpath), ".", 0 },
    { "trainsamples", K_LONG, F(trainsamples), "1024", 0 },
    { "arch", K_STRING, F(arch), "", 0 },
    { "mode", K_STRING, F(mode), "sync", 0 },
    { "num_hot_spares", K_INT, F(num_hot_spares), "0", 0 },
    { "display_interval", K_INT, F(display_interval), "10", 0 },
    { "save_interval", K_INT, F(save_interval), "1", 0 },
    { "learning_rate", K_LRATE, F(lr), "0.001", 0 },
    { "dropout_p", K_DOUBLE, F(dropout_p), "0.5", 0 },
    { "optimizer", K_STRING, F(optimizer), "ADAM", 0 },
    { "weight_decay", K_DOUBLE, F(weight_decay), "0", 0 },
    { "fully_sync_fraction", K_DOUBLE, F(fully_sync_fraction), "0", 0 },
    { "num_layers", K_INT, F(num_layers), "0", 0 },
    { "num_fc_units", K_INT, F(num_fc_units), "0", 0 },
    { "momentum", K_DOUBLE, F(momentum), "0.9", 0 },
    { "num_epochs", K_INT, F(num_epochs), "1", 0 },
    { "train_batch_size", K_INT, F(train_batch_size), "8", 0 },
    { "validation_batch_size", K_INT, F(validation_batch_size), "8", 0 },
    { "validation_interval", K_INT, F(validation_interval), "0", 0 },
    { "validation_max_steps", K_INT, F(validation_max_steps), "0", 0 },
    { "test_batch_size", K_INT, F(test_batch_size), "8", 0 },
    { "test_max_steps", K_INT, F(test_max_steps), "-1", 0 },
    { "batch_size_per_node", K_BOOL, F(batch_size_per_node), "false", 0 },
    { "batch_norm", K_BOOL, F(batch_norm), "false", 0 },
    { "scaling_improvements", K_BOOL, F(scaling_improvements), "false", 0 },
    { "time", K_BOOL, F(time), "true", 0 },
    { "create_summary", K_BOOL, F(create_summary), "false", 0 },
    { "restart", K_BOOL, F(restart), "false", 0 },
    { "conv_params", K_OBJECT, 0, 0, NULL, 0 },
    { "conv_params.data_format", K_STRING, F(conv_params.data_format), "NCHW", 0 },
    { "conv_params.num_filters", K_INT, F(conv_params.num_filters), "128", 0 },
    { "conv_params.filter_size", K_INT, F(conv_params.filter_size), "3", 0 },
    { "conv_params.padding", K_STRING, F(conv_params.padding), "SAME", 0 },
    { "conv_params.activation", K_STRING, F(conv_params.activation), "ReLU", 0 },
    { "conv_params.initializer", K_STRING, F(conv_params.initializer), "HE", 0 },
    { "seed", K_LONG, F(seed), "1", 1 },
    { "num_tasks", K_INT, F(num_tasks), "0", 1 },
    { "num_ps", K_INT, F(num_ps), "0", 1 },
    { "precision", K_STRING, F(precision), "fp32", 1 },
    { "dummy_data", K_BOOL, F(dummy_data), "false", 1 },
    { "checkpoint_id", K_LONG, F(checkpoint_id), "-1", 1 },
    { "overlap_allreduce", K_BOOL, F(overlap_allreduce), "true", 1 },
    { "timeline", K_STRING, F(timeline), "", 1 },
    { "checkpoint_steps", K_LONG, F(checkpoint_steps), "0", 1 },
    { "checkpoint_minutes", K_DOUBLE, F(checkpoint_minutes), "30", 1 },
    { "checkpoint_keep", K_INT, F(checkpoint_keep), "2", 1 },
    { "accept_changed_settings", K_BOOL, F(accept_changed_settings), "false", 1 },
    { "loss_weight", K_STRING, F(loss_weight), "none", 1 },
    { "read_window_mb", K_INT, F(read_window_mb), "64", 1 },
};
#undef F
enum { NUM_KEYS = sizeof keys / sizeof keys[0] };
_Static_assert(NUM_KEYS <= 64, "hep_config.given is too small");

static int key_index(const char *name)
{
    for (int i = 0; i < NUM_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0) return i;
    return -1;
}

static void known_keys(char *buf, size_t len, const char *prefix)
{
    size_t plen = strlen(prefix), used = 0;
    buf[0] = '\0';
    for (int i = 0; i < NUM_KEYS; i++) {
        const char *n = keys[i].name;
        if (strncmp(n, prefix, plen) != 0) continue;
        if (plen == 0 && strchr(n, '.')) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n + plen);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

bool hep_config_given(const hep_config *cfg, const char *key)
{
    int i = key_index(key);
    return i >= 0 && cfg->given[i];
}

/* Parse `text` as the value of key k (from the default table or the command
 * line). Returns NULL on success or a description of what was expected. */
static const char *set_from_text(hep_config *cfg, const key_spec *k, const char *text, char *detail, size_t len)
{
    char *base = (char *)cfg + k->offset, *end;
    errno = 0;
    switch (k->type) {
    case K_INT: case K_LONG: {
        long v = strtol(text, &end, 10);
        if (*text == '\0' || *end != '\0' || errno) return "an integer";
        if (k->type == K_INT) {
            if (v < INT_MIN || v > INT_MAX) return "an integer in int range";
            *(int *)base = (int)v;
        } else {
            *(long *)base = v;
        }
        return NULL;
    }
    case K_DOUBLE: {
        double v = strtod(text, &end);
        if (*text == '\0' || *end != '\0' || errno || !isfinite(v)) return "a finite number";
        *(double *)base = v;
        return NULL;
    }
    case K_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "1")) { *(bool *)base = true; return NULL; }
        if (!strcmp(text, "false") || !strcmp(text, "0")) { *(bool *)base = false; return NULL; }
        return "true or false";
    case K_STRING:
        if (strlen(text) >= k->size) return "a shorter string";
        strcpy(base, text);
        return NULL;
    case K_SHAPE: {
        int v[3];
        if (sscanf(text, " [ %d , %d , %d ] %n", &v[0], &v[1], &v[2], &(int){ 0 }) != 3 &&
            sscanf(text, "%d,%d,%d", &v[0], &v[1], &v[2]) != 3)
            return "a shape like [3,224,224]";
        memcpy(base, v, sizeof v);
        return NULL;
    }
    case K_OBJECT:
        return "an object";
    case K_LRATE: {
        hep_lr_schedule *lr = (hep_lr_schedule *)base;
        if (text[strspn(text, " ")] == '{') return hep_lr_parse_json(lr, text, detail, len);
        double v = strtod(text, &end);
        if (*text == '\0' || *end != '\0' || errno || !isfinite(v) || v <= 0)
            return "a positive number or a schedule {\"mode\": ..., \"learning_rate_params\": {...}}";
        hep_lr_constant(lr, v);
        return NULL;
    }
    }
    return "a value";
}

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsNull(v)) return "null";
    return "an unknown value";
}

static void set_from_json(hep_config *cfg, const char *path, const char *prefix, const cJSON *obj);

/* [3,H,W] or [H,W,3] into shape[3]; NULL, or what was expected. */
static const char *json_shape(const cJSON *item, int *shape)
{
    static const char want[] = "an array of 3 positive integers ([3,H,W] or [H,W,3])";
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3) return want;
    for (int i = 0; i < 3; i++) {
        const cJSON *e = cJSON_GetArrayItem(item, i);
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 1 ||
            e->valuedouble > 65536)
            return want;
        shape[i] = (int)e->valuedouble;
    }
    return NULL;
}

/* A learning rate, constant or a schedule object; a bad schedule is fatal
 * here, with the schedule parser's own detail. */
static const char *json_lrate(const cJSON *item, hep_lr_schedule *lr, const char *path, const char *name)
{
    char detail[160] = "";
    if (cJSON_IsNumber(item)) {
        if (!isfinite(item->valuedouble) || item->valuedouble <= 0) return "a positive number or a schedule";
        hep_lr_constant(lr, item->valuedouble);
        return NULL;
    }
    if (!cJSON_IsObject(item))
        return "a positive number or a schedule {\"mode\", \"power\", \"learning_rate_params\"}";
    char *text = cJSON_PrintUnformatted(item);
    const char *want = hep_lr_parse_json(lr, text, detail, sizeof detail);
    cJSON_free(text);
    if (want) hep_fatal("%s: key '%s': expected %s%s", path, name, want, detail);
    return NULL;
}

/* One key's JSON value into cfg; NULL, or what was expected. */
static const char *set_json_value(hep_config *cfg, const key_spec *k, const cJSON *item, const char *path,
                                  const char *name)
{
    char *base = (char *)cfg + k->offset;
    switch (k->type) {
    case K_INT: case K_LONG:
        if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
            fabs(item->valuedouble) > (k->type == K_INT ? (double)INT_MAX : 9e15))
            return "an integer";
        if (k->type == K_INT) *(int *)base = (int)item->valuedouble;
        else *(long *)base = (long)item->valuedouble;
        return NULL;
    case K_DOUBLE:
        if (!cJSON_IsNumber(item)) return "a number";
        *(double *)base = item->valuedouble;
        return NULL;
    case K_BOOL:
        if (!cJSON_IsBool(item)) return "true or false";
        *(bool *)base = cJSON_IsTrue(item);
        return NULL;
    case K_STRING:
        if (!cJSON_IsString(item)) return "a string";
        if (strlen(item->valuestring) >= k->size) return "a shorter string";
        strcpy(base, item->valuestring);
        return NULL;
    case K_SHAPE:
        return json_shape(item, (int *)base);
    case K_OBJECT:
        if (!cJSON_IsObject(item)) return "an object";
        set_from_json(cfg, path, "conv_params.", item);
        return NULL;
    case K_LRATE:
        return json_lrate(item, (hep_lr_schedule *)base, path, name);
    }
    return NULL;
}

static void set_from_json(hep_config *cfg, const char *path, const char *prefix, const cJSON *obj)
{
    for (const cJSON *item = obj->child; item; item = item->next) {
        char name[128];
        snprintf(name, sizeof name, "%s%s", prefix, item->string);
        int ki = key_index(name);
        if (ki < 0) {
            char list[2048];
            known_keys(list, sizeof list, prefix);
            hep_fatal("%s: unknown key '%s' (known keys%s: %s)", path, name,
                      *prefix ? " of conv_params" : "", list);
        }
        const char *want = set_json_value(cfg, &keys[ki], item, path, name);
        if (want) hep_fatal("%s: key '%s': expected %s, got %s", path, name, want, json_type_name(item));
        if (cfg->given[ki]) cfg->repeated[ki] = 1;
        cfg->given[ki] = 1;
    }
}

/* The whole file, NUL-terminated. The file is closed and the buffer freed
 * before a failure is reported (the config fuzzer's hep_fatal returns). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) hep_fatal("cannot open config file %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = hep_xmalloc(cap, "the config file");
    int too_large = 0, out_of_memory = 0;
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
        if (len + 1 == cap) {
            if ((too_large = cap > (64u << 20))) break;
            char *nb = realloc(buf, cap * 2);
            if ((out_of_memory = !nb)) break;
            buf = nb;
            cap *= 2;
        }
    }
    const int read_error = ferror(f), err = errno;
    fclose(f);
    if (too_large || out_of_memory || read_error) free(buf);
    if (too_large) hep_fatal("%s: config file larger than 64 MiB", path);
    if (out_of_memory) hep_fatal("out of memory reading %s", path);
    if (read_error) hep_fatal("error reading config file %s: %s", path, strerror(err));
    buf[len] = '\0';
    const size_t text_len = strlen(buf);
    if (text_len < len) {
        free(buf);
        hep_fatal("%s: a NUL byte at offset %zu: not a JSON text file", path, text_len);
    }
    return buf;
}

static void usage(void)
{
    printf("usage: hepcnn-binary --config=FILE [--dummy_data] [--KEY=VALUE ...]\n\n"
           "Trains the network this binary was generated for. Options:\n"
           "  --config=FILE        JSON run configuration (the seed's keys; see configs/)\n"
           "  --dummy_data         random in-memory data, no I/O (scaling studies)\n"
           "  --num_tasks=N        expected number of MPI ranks (checked)\n"
           "  --num_ps=N           parameter-server ranks (0: allreduce)\n"
           "  --precision=fp32     arithmetic precision (fp32 only)\n"
           "  --seed=N             seed of initialisation, dropout, shuffling and dummy data\n"
           "  --mode=test          evaluate a checkpoint on the test files (training: sync)\n"
           "  --checkpoint_id=STEP resume from (or test) outputpath/models/model-STEP.h5\n"
           "  --timeline=FILE      write a Chrome trace (chrome://tracing) of a few steps\n"
           "  --checkpoint_steps=N a checkpoint every N steps, mid-epoch too (0: none; default 0)\n"
           "  --checkpoint_minutes=M  and when M minutes passed since the last one (0: never; default 30)\n"
           "  --checkpoint_keep=K  mid-epoch checkpoints kept, newest first (epoch ends' always are; default 2)\n"
           "  --accept_changed_settings  resume a checkpoint whose training settings differ\n"
           "  --loss_weight=normweight  weight the loss by the files' normweight (default none, as the seed)\n"
           "  --read_window_mb=M   read the files M MB at a time (default 64)\n"
           "  --KEY=VALUE          override any config key, e.g. --num_epochs=1,\n"
           "                       --conv_params.num_filters=128\n\n"
           "A run resumes from the newest checkpoint in outputpath/models. SIGTERM, SIGINT,\n"
           "SIGUSR1 or SIGHUP stop it after the step in flight, with a checkpoint: exit status 75.\n\n"
           "Config keys: ");
    char list[2048];
    known_keys(list, sizeof list, "");
    printf("%s\n", list);
}

const char *hep_config_source(const hep_config *c, const char *key, const char *path, char *text, size_t len)
{
    int i = key_index(key);
    if (i < 0 || !c->on_command_line[i]) return path;
    snprintf(text, len, "command line (--%s)", key);
    return text;
}

static void check_ranges(const hep_config *c, const char *src)
{
    /* each message starts with where the value came from: the file, or the command line */
    char where[160];
#define REQUIRE(key, cond, fmt, ...) \
    do { if (!(cond)) hep_fatal("%s: " key " " fmt, hep_config_source(c, key, src, where, sizeof where), __VA_ARGS__); } while (0)
    /* an empty path would put logs/ and models/ at the file system's root */
    REQUIRE("inputpath", c->inputpath[0], "must name a folder (\".\" for the current one), got \"%s\"", c->inputpath);
    REQUIRE("outputpath", c->outputpath[0], "must name a folder (\".\" for the current one), got \"%s\"", c->outputpath);
    REQUIRE("trainsamples", c->trainsamples > 0, "must be positive, got %ld", c->trainsamples);
    REQUIRE("num_epochs", c->num_epochs > 0, "must be positive, got %d", c->num_epochs);
    REQUIRE("train_batch_size", c->train_batch_size > 0, "must be positive, got %d", c->train_batch_size);
    REQUIRE("validation_batch_size", c->validation_batch_size > 0, "must be positive, got %d", c->validation_batch_size);
    REQUIRE("test_batch_size", c->test_batch_size > 0, "must be positive, got %d", c->test_batch_size);
    REQUIRE("display_interval", c->display_interval > 0, "must be positive, got %d", c->display_interval);
    REQUIRE("save_interval", c->save_interval >= 0, "must be >= 0, got %d", c->save_interval);
    REQUIRE("learning_rate", hep_lr_at(&c->lr, 0) > 0, "must be positive, got %g", hep_lr_at(&c->lr, 0));
    REQUIRE("dropout_p", c->dropout_p > 0 && c->dropout_p <= 1, "is the keep probability and must be in (0, 1], got %g",
            c->dropout_p);
    REQUIRE("weight_decay", c->weight_decay >= 0, "must be >= 0, got %g", c->weight_decay);
    REQUIRE("num_hot_spares", c->num_hot_spares >= 0, "must be >= 0, got %d", c->num_hot_spares);
    REQUIRE("num_ps", c->num_ps >= 0, "must be >= 0, got %d", c->num_ps);
    REQUIRE("num_tasks", c->num_tasks >= 0, "must be >= 0, got %d", c->num_tasks);
    REQUIRE("checkpoint_id", c->checkpoint_id >= -1, "must be a checkpoint's step (or -1, the newest), got %ld",
            c->checkpoint_id);
    REQUIRE("checkpoint_steps", c->checkpoint_steps >= 0, "must be >= 0 (0: none), got %ld", c->checkpoint_steps);
    REQUIRE("checkpoint_minutes", c->checkpoint_minutes >= 0, "must be >= 0 (0: never), got %g", c->checkpoint_minutes);
    REQUIRE("checkpoint_keep", c->checkpoint_keep >= 1, "must be >= 1, got %d", c->checkpoint_keep);
    REQUIRE("read_window_mb", c->read_window_mb >= 1 && c->read_window_mb <= 65536, "must be 1 to 65536, got %d",
            c->read_window_mb);
    REQUIRE("loss_weight", !strcmp(c->loss_weight, "none") || !strcmp(c->loss_weight, "normweight"),
            "must be \"none\" (the seed's unweighted loss) or \"normweight\", got \"%s\"", c->loss_weight);
    REQUIRE("optimizer", !strcasecmp(c->optimizer, "ADAM"), "'%s' is not implemented (expected ADAM)", c->optimizer);
    REQUIRE("mode", !strcmp(c->mode, "sync") || !strcmp(c->mode, "async") || !strcmp(c->mode, "test"),
            "must be \"sync\" or \"async\" (training) or \"test\" (evaluate a checkpoint), got \"%s\"", c->mode);
    REQUIRE("precision", !strcmp(c->precision, "fp32"), "'%s' is not supported (expected fp32)", c->precision);
    REQUIRE("conv_params.data_format",
            !strcasecmp(c->conv_params.data_format, "NCHW") || !strcasecmp(c->conv_params.data_format, "NHWC"),
            "must be NCHW or NHWC, got \"%s\"", c->conv_params.data_format);
    REQUIRE("conv_params.padding", !strcasecmp(c->conv_params.padding, "SAME"), "must be SAME, got \"%s\"",
            c->conv_params.padding);
    REQUIRE("conv_params.activation", !strcasecmp(c->conv_params.activation, "ReLU"), "must be ReLU, got \"%s\"",
            c->conv_params.activation);
    REQUIRE("conv_params.initializer", !strcasecmp(c->conv_params.initializer, "HE"), "must be HE, got \"%s\"",
            c->conv_params.initializer);
#undef REQUIRE
}

/* Keys the original benchmark used that change nothing here: said once, so
 * that nobody tunes them in vain. */
static void note_no_effect(const hep_config *cfg)
{
    static const struct { const char *key, *why; } none[] = {
        { "momentum", "Adam has no momentum term" },
        { "fully_sync_fraction", "the original's scripts do not read it either" },
        { "time", "the report lines always carry the times" },
        { "conv_params.data_format", "the generator chooses the layout" },
    };
    char line[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        if (!hep_config_given(cfg, none[i].key)) continue;
        int w = snprintf(line + used, sizeof line - used, "%s%s (%s)", used ? ", " : "", none[i].key, none[i].why);
        if (w > 0 && (size_t)w < sizeof line - used) used += (size_t)w;
    }
    if (used) printf("hepcnn: note: keys of the original that do nothing here: %s\n", line);
    if (cfg->dummy_data && !strcmp(cfg->mode, "test"))
        printf("hepcnn: note: dummy_data does nothing in test mode: it evaluates the checkpoint on the test files "
               "in inputpath\n");
    if (cfg->restart)
        printf("hepcnn: note: restart: true made the original start from scratch; hepcnn never discards a run's "
               "checkpoints: it continues the newest in outputpath/models (another outputpath starts afresh)\n");
}

/* The config file's keys into cfg; a malformed file names its line and
 * column. The text is freed before anything can fail: the config fuzzer's
 * hep_fatal returns to it, past this function's frees. */
static void load_file(hep_config *cfg, const char *path)
{
    char *text = read_text(path), near[32] = "";
    const char *err_at = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &err_at, 1);
    int line = 1, col = 1, blank = text[strspn(text, " \t\r\n")] == '\0';
    if (!root) {
        const char *at = err_at ? err_at : text;
        for (const char *p = text; p < at && *p; p++) {
            if (*p == '\n') { line++; col = 1; } else col++;
        }
        int shown = (int)strcspn(at, "\r\n");
        snprintf(near, sizeof near, "%.*s", shown > 24 ? 24 : shown, at);
    }
    free(text);
    if (!root && blank) hep_fatal("%s: the file is empty (expected a JSON object, as in configs/)", path);
    if (!root && !near[0]) hep_fatal("%s:%d:%d: malformed JSON: the file ends inside it (cut short?)", path, line, col);
    if (!root) hep_fatal("%s:%d:%d: malformed JSON near \"%s\"", path, line, col, near);
    if (!cJSON_IsObject(root)) hep_fatal("%s: expected a JSON object at the top level", path);
    set_from_json(cfg, path, "", root);
    cJSON_Delete(root);
}

/* One --KEY=VALUE (or --KEY for a boolean) of the command line into cfg. */
static void apply_option(hep_config *cfg, const char *a)
{
    char name[128], detail[160] = "";
    if (strncmp(a, "--", 2) != 0) hep_fatal("command line: unexpected argument '%s' (options are --KEY=VALUE; see --help)", a);
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (n >= sizeof name) hep_fatal("command line: option too long: %s", a);
    memcpy(name, a + 2, n);
    name[n] = '\0';
    int ki = key_index(name);
    if (ki < 0 || keys[ki].type == K_OBJECT) {
        char list[2048];
        known_keys(list, sizeof list, "");
        hep_fatal("command line: unknown option '--%s' (known: --config, --help, and every key: %s)", name, list);
    }
    const char *value = eq ? eq + 1 : (keys[ki].type == K_BOOL ? "true" : NULL);
    if (!value) hep_fatal("command line: --%s needs a value (--%s=VALUE)", name, name);
    const char *want = set_from_text(cfg, &keys[ki], value, detail, sizeof detail);
    if (want) hep_fatal("command line: --%s=%s: expected %s%s", name, value, want, detail);
    cfg->given[ki] = 1;
    cfg->on_command_line[ki] = 1;
}

/* What the run takes without being told: the defaults it applied, keys
 * given twice, keys of the original that do nothing here. */
void hep_config_notes(const hep_config *cfg, const char *path)
{
    char line[2048];
    size_t used = 0;
    line[0] = '\0';
    for (int i = 0; i < NUM_KEYS; i++) {
        if (cfg->given[i] || !keys[i].fallback || keys[i].cli_only) continue;
        int w = snprintf(line + used, sizeof line - used, "%s%s=%s", used ? ", " : "", keys[i].name, keys[i].fallback);
        if (w < 0 || (size_t)w >= sizeof line - used) break;
        used += (size_t)w;
    }
    if (used) printf("hepcnn: defaults applied (not in %s): %s\n", path, line);
    for (int i = 0; i < NUM_KEYS; i++)
        if (cfg->repeated[i])
            printf("hepcnn: note: %s gives key '%s' more than once; the last value counts, as with Python's json\n",
                   path, keys[i].name);
    note_no_effect(cfg);
}

int hep_config_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 1;
        }
    return 0;
}

void hep_config_load(hep_config *cfg, int argc, char **argv)
{
    char detail[160] = "";
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < NUM_KEYS; i++)
        if (keys[i].fallback && set_from_text(cfg, &keys[i], keys[i].fallback, detail, sizeof detail))
            hep_fatal("internal: bad default for %s", keys[i].name);

    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "--config="))
            hep_fatal("command line: --config needs a file, joined to it by '=': --config=FILE");
        if (!strncmp(argv[i], "--config=", 9)) path = argv[i] + 9;
    }
    if (!path) hep_fatal("no config file given: use --config=FILE (see --help)");
    load_file(cfg, path);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--config=", 9) != 0) apply_option(cfg, argv[i]);
    cfg->learning_rate = hep_lr_at(&cfg->lr, 0);
    check_ranges(cfg, path);
}

char *hep_config_to_json(const hep_config *cfg)
{
    cJSON *root = cJSON_CreateObject(), *conv = cJSON_AddObjectToObject(root, "conv_params");
    for (int i = 0; i < NUM_KEYS; i++) {
        const key_spec *k = &keys[i];
        if (k->type == K_OBJECT) continue;
        const char *name = k->name;
        cJSON *where = root;
        if (!strncmp(name, "conv_params.", 12)) { where = conv; name += 12; }
        const char *base = (const char *)cfg + k->offset;
        switch (k->type) {
        case K_INT: cJSON_AddNumberToObject(where, name, *(const int *)base); break;
        case K_LONG: cJSON_AddNumberToObject(where, name, (double)*(const long *)base); break;
        case K_DOUBLE: cJSON_AddNumberToObject(where, name, *(const double *)base); break;
        case K_BOOL: cJSON_AddBoolToObject(where, name, *(const bool *)base); break;
        case K_STRING: cJSON_AddStringToObject(where, name, base); break;
        case K_SHAPE: {
            cJSON *a = cJSON_AddArrayToObject(where, name);
            for (int j = 0; j < 3; j++) cJSON_AddItemToArray(a, cJSON_CreateNumber(((const int *)base)[j]));
            break;
        }
        case K_OBJECT: break;
        case K_LRATE: {
            const hep_lr_schedule *lr = (const hep_lr_schedule *)base;
            char text[4096];
            hep_lr_describe(lr, text, sizeof text);
            if (lr->mode == HEP_LR_CONSTANT) cJSON_AddNumberToObject(where, name, lr->rate[0]);
            else cJSON_AddItemToObject(where, name, cJSON_Parse(text));
            break;
        }
        }
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) hep_fatal("out of memory writing the config as JSON");
    return text;
}
