/* The config's network-describing keys (the seed's num_layers,
 * conv_params, num_fc_units, ...) against the compiled network. A user who
 * edits networks/X.lua usually changes several of them at once, so every
 * contradiction is reported in one go, with the overrides that would run
 * the edited network under the same config. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

typedef struct {
    char text[8192];    /* the errors, one a line (hep_fatal prefixes the first) */
    char fixes[1024];   /* " --KEY=VALUE" for each */
    int count;
} mismatches;

static void append(char *buf, size_t len, const char *fmt, va_list ap)
{
    const size_t used = strlen(buf);
    if (used + 1 < len) vsnprintf(buf + used, len - used, fmt, ap);
}

static void add_fix(mismatches *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_fix(mismatches *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(m->fixes, sizeof m->fixes, fmt, ap);
    va_end(ap);
}

static void add_error(mismatches *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_error(mismatches *m, const char *fmt, ...)
{
    if (m->count++) strncat(m->text, "\nhepcnn: error: ", sizeof m->text - strlen(m->text) - 1);
    va_list ap;
    va_start(ap, fmt);
    append(m->text, sizeof m->text, fmt, ap);
    va_end(ap);
}

static void check_input_shape(mismatches *m, const hep_config *c, const char *src, const hep_model_info *info)
{
    const int *s = c->input_shape;
    const int chw = s[0] == info->in_channels && s[1] == info->in_height && s[2] == info->in_width;
    const int hwc = s[2] == info->in_channels && s[0] == info->in_height && s[1] == info->in_width;
    if (chw || hwc) return;
    add_error(m, "%s: input_shape [%d,%d,%d] does not match the compiled network %s ([%d,%d,%d] or [%d,%d,%d])", src,
              s[0], s[1], s[2], info->network, info->in_channels, info->in_height, info->in_width, info->in_height,
              info->in_width, info->in_channels);
    add_fix(m, " --input_shape=[%d,%d,%d]", info->in_channels, info->in_height, info->in_width);
}

/* The keys with one number each. */
static void check_sizes(mismatches *m, const hep_config *c, const char *path, const hep_model_info *info)
{
    char where[160];
#define SOURCE(key) hep_config_source(c, key, path, where, sizeof where)
    if (hep_config_given(c, "num_layers") && c->num_layers != info->num_pooled_convs) {
        add_error(m, "%s: num_layers = %d, but the compiled network %s has %d conv+pool layers (%s)", SOURCE("num_layers"),
                  c->num_layers, info->network, info->num_pooled_convs, info->network_file);
        add_fix(m, " --num_layers=%d", info->num_pooled_convs);
    }
    /* num_filters < 0: the convs differ in filters, which no single value describes (a note says so) */
    if (hep_config_given(c, "conv_params.num_filters") && info->num_filters > 0 &&
        c->conv_params.num_filters != info->num_filters) {
        add_error(m, "%s: conv_params.num_filters = %d, but the compiled network %s has %d filters per conv (%s)",
                  SOURCE("conv_params.num_filters"), c->conv_params.num_filters, info->network, info->num_filters,
                  info->network_file);
        add_fix(m, " --conv_params.num_filters=%d", info->num_filters);
    }
    if (hep_config_given(c, "conv_params.filter_size") && c->conv_params.filter_size != info->filter_size) {
        add_error(m, "%s: conv_params.filter_size = %d, but the compiled network %s uses %dx%d filters",
                  SOURCE("conv_params.filter_size"), c->conv_params.filter_size, info->network, info->filter_size,
                  info->filter_size);
        add_fix(m, " --conv_params.filter_size=%d", info->filter_size);
    }
    if (hep_config_given(c, "num_fc_units") && c->num_fc_units != info->num_fc_units) {
        add_error(m, "%s: num_fc_units = %d, but the compiled network %s has %d hidden dense units (%s)",
                  SOURCE("num_fc_units"), c->num_fc_units, info->network, info->num_fc_units, info->network_file);
        add_fix(m, " --num_fc_units=%d", info->num_fc_units);
    }
#undef SOURCE
}

/* The keys that say whether a kind of layer is there. */
static void check_features(mismatches *m, const hep_config *c, const char *path, const hep_model_info *info)
{
    char where[160];
#define SOURCE(key) hep_config_source(c, key, path, where, sizeof where)
    const int avgpool = info->global_avgpool != 0;
    if (hep_config_given(c, "scaling_improvements") && c->scaling_improvements != avgpool) {
        add_error(m, "%s: scaling_improvements = %s, but the compiled network %s %s global average pooling (%s)",
                  SOURCE("scaling_improvements"), c->scaling_improvements ? "true" : "false", info->network,
                  avgpool ? "uses" : "does not use", info->network_file);
        add_fix(m, " --scaling_improvements=%s", avgpool ? "true" : "false");
    }
    if (c->batch_norm && info->num_state == 0) {
        add_error(m, "%s: batch_norm = true, but the compiled network %s has no batch normalisation (%s); build one that "
                  "has, e.g. make NET=%s_bn", SOURCE("batch_norm"), info->network, info->network_file, info->network);
        add_fix(m, " --batch_norm=false");
    }
    if (!c->batch_norm && info->num_state > 0) {
        add_error(m, "%s: batch_norm = false%s, but the compiled network %s normalises batches (%s): set "
                  "\"batch_norm\": true, or build the network without it", SOURCE("batch_norm"),
                  hep_config_given(c, "batch_norm") ? "" : " (the default)", info->network, info->network_file);
        add_fix(m, " --batch_norm=true");
    }
#undef SOURCE
}

void hep_config_check_network(const hep_config *c, const char *path, const hep_model_info *info)
{
    mismatches m = { .count = 0 };
    char where[160];
    if (hep_config_given(c, "input_shape"))
        check_input_shape(&m, c, hep_config_source(c, "input_shape", path, where, sizeof where), info);
    check_sizes(&m, c, path, info);
    check_features(&m, c, path, info);
    if (m.count == 0) return;
    hep_fatal("%s\nhepcnn: error: these keys describe another network than %s (%s): set them to match, in %s or "
              "on the command line:%s", m.text, info->network, info->network_file, path, m.fixes);
}

void hep_config_network_notes(const hep_config *c, const hep_model_info *info)
{
    if (hep_config_given(c, "conv_params.num_filters") && info->num_filters < 0)
        printf("hepcnn: note: conv_params.num_filters = %d is not checked: the convs of %s (%s) differ in filters\n",
               c->conv_params.num_filters, info->network, info->network_file);
}
