/* bin/hepcnn-export CHECKPOINT.h5 MODEL.onnx: a hepcnn checkpoint as an ONNX
 * model (opset 13) that takes the raw images [batch][C][H][W] (float32,
 * divided by the checkpoint's channel maxima inside the graph) and returns
 * the class probabilities [batch][classes]. The network comes from the
 * checkpoint's `network_layers` attribute (runtime/network_json.h), so one
 * exporter serves every network; dropout is left out (inference) and batch
 * normalisation uses the running averages. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "h5guard.h"
#include "h5open.h"
#include "h5single.h"
#include "h5syserr.h"
#include "printable.h"
#include "protobuf.h"

#define OPSET 13

typedef struct {
    const char *ckpt;        /* the checkpoint's path, for messages */
    hid_t file;
    hep_pb graph;
    int counter;             /* for unique value names */
    char x[64];              /* the current value's name */
} exporter;

static void die(const char *fmt, ...)
{
    /* HDF5 closes what is still open at exit: a watch's handler, which
     * walks the error stack, would keep it from finishing ("HDF5: infinite
     * loop closing library"). */
    hep_h5_unwatch_errno();
    va_list ap;
    va_start(ap, fmt);
    hep_put_error("hepcnn-export: error: ", fmt, ap);   /* a damaged layer table's bytes as \xNN */
    va_end(ap);
    exit(1);
}

/* A failure reading the checkpoint: the file system's where a read behind
 * it failed there (h5syserr.h), when the checkpoint may well be intact,
 * else the checkpoint's. */
static void die_reading(const exporter *e, const char *fmt, ...)
{
    const int os_err = hep_h5_watched_errno();
    if (hep_errno_transient(os_err))
        die("%s: reading it failed in the file system (%s): the checkpoint itself may be intact. When its file "
            "system works again, run hepcnn-export again", e->ckpt, strerror(os_err));
    char what[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    die("%s: %s", e->ckpt, what);
}

/* A string attribute of the checkpoint's root; `missing` says why a
 * checkpoint may lack it. */
static char *read_string_attr(exporter *e, const char *name, const char *missing)
{
    if (H5Aexists(e->file, name) <= 0) die_reading(e, "no attribute '%s' (%s)", name, missing);
    hid_t a = H5Aopen(e->file, name, H5P_DEFAULT), type = a < 0 ? -1 : H5Aget_type(a);
    size_t size = type < 0 ? 0 : H5Tget_size(type);
    if (!hep_h5_attr_single(a)) die_reading(e, "attribute '%s' is not a single string", name);
    char *text = size ? calloc(size + 1, 1) : NULL;
    if (!text || H5Aread(a, type, text) < 0) die_reading(e, "cannot read attribute '%s'", name);
    H5Tclose(type);
    H5Aclose(a);
    return text;
}

/* A numeric attribute of the root, converted to `type`; 0, or -1 when the
 * checkpoint lacks it. */
static int read_number_attr(exporter *e, const char *name, hid_t type, void *value)
{
    if (H5Aexists(e->file, name) <= 0) return -1;
    hid_t a = H5Aopen(e->file, name, H5P_DEFAULT), stored = a < 0 ? -1 : H5Aget_type(a);
    if (a < 0 || !hep_h5_attr_single(a) || !hep_h5_plain_number(stored))
        die_reading(e, "attribute '%s' is not a single number", name);
    H5Tclose(stored);
    if (H5Aread(a, type, value) < 0) die_reading(e, "cannot read attribute '%s'", name);
    H5Aclose(a);
    return 0;
}

/* A float dataset of the checkpoint; its element count in *count. */
static float *read_dataset(exporter *e, const char *name, hsize_t *dims, int *ndim, size_t *count)
{
    const htri_t exists = H5Lexists(e->file, name, H5P_DEFAULT);
    if (exists <= 0) die_reading(e, exists < 0 ? "cannot look up dataset '%s' (damaged?)" : "missing dataset '%s'", name);
    hid_t ds = H5Dopen2(e->file, name, H5P_DEFAULT), space = ds < 0 ? -1 : H5Dget_space(ds);
    /* the rank first: dims holds 4, and a damaged file may declare up to 32 */
    *ndim = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (*ndim < 1 || *ndim > 4) die_reading(e, "dataset '%s' is not a tensor of 1 to 4 dimensions", name);
    if (H5Sget_simple_extent_dims(space, dims, NULL) != *ndim) die_reading(e, "cannot read the shape of dataset '%s'", name);
    *count = 1;
    for (int d = 0; d < *ndim; d++) *count *= dims[d];
    hid_t type = H5Dget_type(ds);
    if (type < 0 || H5Tget_class(type) != H5T_FLOAT || !hep_h5_plain_number(type))
        die_reading(e, "dataset '%s' does not hold 2-, 4- or 8-byte floats (its type is damaged?)", name);
    H5Tclose(type);
    float *v = malloc(sizeof(float) * *count);
    if (!v || H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        die_reading(e, "cannot read dataset '%s'", name);
    H5Sclose(space);
    H5Dclose(ds);
    return v;
}

/* An initializer (TensorProto) named `name` from the checkpoint dataset
 * `dataset`, with its shape or, when dims is given, that shape. */
static void add_initializer(exporter *e, const char *name, const char *dataset, const hsize_t *shape, int shape_n)
{
    hsize_t dims[4];
    int ndim;
    size_t count;
    float *v = read_dataset(e, dataset, dims, &ndim, &count);
    hep_pb t = { 0 };
    for (int d = 0; d < (shape ? shape_n : ndim); d++) hep_pb_int(&t, 1, (int64_t)(shape ? shape[d] : dims[d]));
    hep_pb_int(&t, 2, 1);                        /* FLOAT */
    hep_pb_string(&t, 8, name);
    unsigned char *raw = malloc(4 * count);      /* little-endian IEEE floats */
    if (!raw) die("out of memory");
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int b = 0; b < 4; b++) raw[4 * i + b] = (unsigned char)(u >> (8 * b));
    }
    hep_pb_bytes(&t, 9, raw, 4 * count);
    hep_pb_message(&e->graph, 5, &t);
    free(raw);
    free(v);
}

static void attr_ints(hep_pb *node, const char *name, const int64_t *v, int n)
{
    hep_pb a = { 0 };
    hep_pb_string(&a, 1, name);
    for (int i = 0; i < n; i++) hep_pb_int(&a, 8, v[i]);
    hep_pb_int(&a, 20, 7);                       /* INTS */
    hep_pb_message(node, 5, &a);
}

static void attr_int(hep_pb *node, const char *name, int64_t v)
{
    hep_pb a = { 0 };
    hep_pb_string(&a, 1, name);
    hep_pb_int(&a, 3, v);
    hep_pb_int(&a, 20, 2);                       /* INT */
    hep_pb_message(node, 5, &a);
}

static void attr_float(hep_pb *node, const char *name, float v)
{
    hep_pb a = { 0 };
    hep_pb_string(&a, 1, name);
    hep_pb_float(&a, 2, v);
    hep_pb_int(&a, 20, 1);                       /* FLOAT */
    hep_pb_message(node, 5, &a);
}

/* A node taking the current value (and `extra` inputs), whose output becomes
 * the current value (named `out`, or made up). The caller adds attributes
 * to the returned node and then calls end_node. */
static hep_pb begin_node(exporter *e, const char *op, const char *const *extra, int n_extra, const char *out)
{
    hep_pb node = { 0 };
    hep_pb_string(&node, 1, e->x);
    for (int i = 0; i < n_extra; i++) hep_pb_string(&node, 1, extra[i]);
    if (out) snprintf(e->x, sizeof e->x, "%s", out);
    else snprintf(e->x, sizeof e->x, "%s_%d", op, ++e->counter);
    hep_pb_string(&node, 2, e->x);
    hep_pb_string(&node, 3, e->x);
    hep_pb_string(&node, 4, op);
    return node;
}

static void end_node(exporter *e, hep_pb *node) { hep_pb_message(&e->graph, 1, node); }

static void simple_node(exporter *e, const char *op, const char *out)
{
    hep_pb node = begin_node(e, op, NULL, 0, out);
    end_node(e, &node);
}

/* ValueInfoProto of a float tensor [batch][dims...] */
static void value_info(hep_pb *graph, int field, const char *name, const int *dims, int n)
{
    hep_pb shape = { 0 }, dim = { 0 };
    hep_pb_string(&dim, 2, "batch");
    hep_pb_message(&shape, 1, &dim);
    for (int i = 0; i < n; i++) {
        hep_pb_int(&dim, 1, dims[i]);
        hep_pb_message(&shape, 1, &dim);
    }
    hep_pb tensor = { 0 }, type = { 0 }, info = { 0 };
    hep_pb_int(&tensor, 1, 1);                   /* FLOAT */
    hep_pb_message(&tensor, 2, &shape);
    hep_pb_message(&type, 1, &tensor);
    hep_pb_string(&info, 1, name);
    hep_pb_message(&info, 2, &type);
    hep_pb_message(graph, field, &info);
}

static const char *tensor_name(exporter *e, const cJSON *layer, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(layer, key);
    if (!cJSON_IsString(v)) die_reading(e, "network_layers: layer without a '%s' tensor", key);
    return v->valuestring;
}

static int flag(const cJSON *layer, const char *key) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(layer, key)); }

static void export_conv(exporter *e, const cJSON *layer)
{
    const char *w = tensor_name(e, layer, "weight");
    add_initializer(e, w, w, NULL, 0);
    const cJSON *bias = cJSON_GetObjectItemCaseSensitive(layer, "bias");
    const char *inputs[2] = { w, cJSON_IsString(bias) ? bias->valuestring : NULL };
    if (inputs[1]) add_initializer(e, inputs[1], inputs[1], NULL, 0);
    hep_pb node = begin_node(e, "Conv", inputs, inputs[1] ? 2 : 1, NULL);
    static const int64_t three[2] = { 3, 3 }, one[2] = { 1, 1 }, pads[4] = { 1, 1, 1, 1 };
    attr_ints(&node, "kernel_shape", three, 2);
    attr_ints(&node, "strides", one, 2);
    attr_ints(&node, "pads", pads, 4);
    end_node(e, &node);
    const cJSON *bn = cJSON_GetObjectItemCaseSensitive(layer, "batchnorm");
    if (bn) {
        const char *names[4] = { tensor_name(e, bn, "weight"), tensor_name(e, bn, "bias"),
                                 tensor_name(e, bn, "running_mean"), tensor_name(e, bn, "running_var") };
        for (int i = 0; i < 4; i++) add_initializer(e, names[i], names[i], NULL, 0);
        hep_pb n = begin_node(e, "BatchNormalization", names, 4, NULL);
        attr_float(&n, "epsilon", (float)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(bn, "eps")));
        end_node(e, &n);
    }
    if (flag(layer, "relu")) simple_node(e, "Relu", NULL);
    if (flag(layer, "pool")) {
        hep_pb n = begin_node(e, "MaxPool", NULL, 0, NULL);
        static const int64_t two[2] = { 2, 2 };
        attr_ints(&n, "kernel_shape", two, 2);
        attr_ints(&n, "strides", two, 2);
        end_node(e, &n);
    }
}

static void export_layer(exporter *e, const cJSON *layer)
{
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(layer, "kind"));
    if (!kind) die_reading(e, "network_layers: a layer without a kind");
    if (!strcmp(kind, "conv")) {
        export_conv(e, layer);
    } else if (!strcmp(kind, "avgpool") || !strcmp(kind, "flatten")) {
        if (!strcmp(kind, "avgpool")) simple_node(e, "GlobalAveragePool", NULL);
        hep_pb n = begin_node(e, "Flatten", NULL, 0, NULL);   /* C,H,W order, as hepcnn's flatten */
        attr_int(&n, "axis", 1);
        end_node(e, &n);
    } else if (!strcmp(kind, "dense")) {
        const char *in[2] = { tensor_name(e, layer, "weight"), tensor_name(e, layer, "bias") };
        for (int i = 0; i < 2; i++) add_initializer(e, in[i], in[i], NULL, 0);
        hep_pb n = begin_node(e, "Gemm", in, 2, NULL);
        attr_int(&n, "transB", 1);                /* weights [out][in] */
        end_node(e, &n);
        if (flag(layer, "relu")) simple_node(e, "Relu", NULL);
    } else if (!strcmp(kind, "softmax_xent")) {
        hep_pb n = begin_node(e, "Softmax", NULL, 0, "probabilities");
        attr_int(&n, "axis", 1);
        end_node(e, &n);
    } else {
        die_reading(e, "network_layers: unknown layer kind '%s'", kind);
    }
}

static void write_model(const char *path, hep_pb *graph)
{
    hep_pb model = { 0 }, opset = { 0 };
    hep_pb_int(&model, 1, 8);                    /* ir_version */
    hep_pb_string(&model, 2, "hepcnn");
    hep_pb_string(&model, 3, "hepcnn-export 1");
    hep_pb_string(&opset, 1, "");
    hep_pb_int(&opset, 2, OPSET);
    hep_pb_message(&model, 8, &opset);
    hep_pb_message(&model, 7, graph);
    if (model.failed) die("out of memory building the model");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) die("cannot create %s: %s", tmp, strerror(errno));
    int bad = fwrite(model.data, 1, model.len, f) != model.len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        die("cannot write %s: %s", path, strerror(errno));
    }
    hep_pb_free(&model);
}

static void digest_dataset(exporter *e, hep_digest *d, const char *name)
{
    hsize_t dims[4];
    int ndim;
    size_t count;
    float *v = read_dataset(e, name, dims, &ndim, &count);
    hep_digest_add(d, v, sizeof(float) * count);
    free(v);
}

/* Adds the values of the tensors `keys` of `o` names (where o names them). */
static void digest_tensors(exporter *e, hep_digest *d, const cJSON *o, const char *const *keys, int n)
{
    for (int i = 0; i < n; i++) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, keys[i]));
        if (name) digest_dataset(e, d, name);
    }
}

static void require_number_attr(exporter *e, const char *name, hid_t type, void *value)
{
    if (read_number_attr(e, name, type, value) != 0)
        die_reading(e, "no attribute '%s' (checkpoints of format 3 on have it)", name);
}

/* A checkpoint of format 3 on carries a digest of what a run reads back
 * (runtime/digest.h); HDF5's chunk checksums miss an altered chunk index or
 * filter message, which made a damaged checkpoint export other weights.
 * The digest takes every parameter in the layer table's order (a layer's
 * weight and bias, then its batch norm's), then the running averages, then
 * the run record, with the table's own text from format 4 on (a byte
 * altered in it made an export of another input shape); an export reads
 * the same values, so it checks the same. */
static void check_digest(exporter *e, const char *table, const cJSON *layers)
{
    int format = 0;
    if (read_number_attr(e, "format_version", H5T_NATIVE_INT, &format) != 0)
        die_reading(e, "no attribute 'format_version' (every hepcnn checkpoint has it)");
    if (format < 3) return;   /* formats 1 and 2 carry no digest */
    static const char *const params[2] = { "weight", "bias" }, *const state[2] = { "running_mean", "running_var" };
    hep_digest d = hep_digest_start();
    const cJSON *layer;
    cJSON_ArrayForEach(layer, layers) {
        digest_tensors(e, &d, layer, params, 2);
        digest_tensors(e, &d, cJSON_GetObjectItemCaseSensitive(layer, "batchnorm"), params, 2);
    }
    cJSON_ArrayForEach(layer, layers) digest_tensors(e, &d, cJSON_GetObjectItemCaseSensitive(layer, "batchnorm"), state, 2);
    hsize_t dims[4];
    int ndim;
    size_t channels;
    float *channel_max = read_dataset(e, "normalization/channel_max", dims, &ndim, &channels);
    long long step;
    int epoch;
    unsigned long long seed;
    uint64_t written;
    require_number_attr(e, "step", H5T_NATIVE_LLONG, &step);
    require_number_attr(e, "epoch", H5T_NATIVE_INT, &epoch);
    require_number_attr(e, "seed", H5T_NATIVE_ULLONG, &seed);
    require_number_attr(e, "digest", H5T_NATIVE_UINT64, &written);
    char *settings = read_string_attr(e, "settings", "checkpoints of format 3 on have it");
    hep_digest_run_record(&d, channel_max, channels, step, epoch, seed, settings, format >= 4 ? table : NULL);
    free(settings);
    free(channel_max);
    if (d.h != written)
        die_reading(e, "%s read back differ from what was written (the checkpoint's digest does not match: altered on "
            "disk?)", hep_digest_run_contents(format));
}

int main(int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-' || !argv[1][0] || !argv[2][0]) {
        fprintf(stderr, "usage: hepcnn-export CHECKPOINT.h5 MODEL.onnx\n"
                        "  writes an ONNX model (opset %d) of the checkpoint's network: input 'images'\n"
                        "  [batch][C][H][W] raw float32, output 'probabilities' [batch][classes]\n", OPSET);
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    exporter e = { .ckpt = argv[1] };
    hep_h5_guard_install("hepcnn-export: error: ");
    hep_h5_guard_enter(e.ckpt, "export an earlier checkpoint of the run (its models folder keeps them), or train again");
    int os_err;   /* what die_reading tells the file system's failures by */
    hep_h5_watch_errno(&os_err);
    if (H5Fis_hdf5(e.ckpt) <= 0)
        die_reading(&e, os_err ? "cannot read it: %s" : "not a readable HDF5 file", strerror(os_err));
    int locked;
    if ((e.file = hep_h5_open_read(e.ckpt, &locked)) < 0)
        die_reading(&e, "%s", locked ? HEP_H5_LOCKED_TEXT : "cannot open (damaged?)");
    char *text = read_string_attr(&e, "network_layers", "checkpoints written before hepcnn recorded the layer table "
                                  "lack it: continue the run for a step, or train again, to get one that has it");
    cJSON *net = cJSON_Parse(text);
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(net, "input");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(net, "layers");
    int classes = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(net, "classes"));
    if (!cJSON_IsArray(input) || cJSON_GetArraySize(input) != 3 || !cJSON_IsArray(layers) || classes < 2)
        die_reading(&e, "attribute 'network_layers' is not a hepcnn layer table");
    check_digest(&e, text, layers);
    int in[3];
    for (int i = 0; i < 3; i++) in[i] = (int)cJSON_GetNumberValue(cJSON_GetArrayItem(input, i));

    hep_pb_string(&e.graph, 2, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(net, "network")));
    const hsize_t norm_shape[4] = { 1, (hsize_t)in[0], 1, 1 };
    add_initializer(&e, "channel_max", "normalization/channel_max", norm_shape, 4);
    snprintf(e.x, sizeof e.x, "images");
    const char *divisor[1] = { "channel_max" };
    hep_pb div = begin_node(&e, "Div", divisor, 1, "normalized");   /* hepcnn's input normalisation */
    end_node(&e, &div);
    const cJSON *layer;
    cJSON_ArrayForEach(layer, layers) export_layer(&e, layer);
    if (strcmp(e.x, "probabilities") != 0) die_reading(&e, "network_layers: the last layer is not softmax_xent");
    value_info(&e.graph, 11, "images", in, 3);
    value_info(&e.graph, 12, "probabilities", &classes, 1);
    H5Fclose(e.file);
    hep_h5_unwatch_errno();
    hep_h5_guard_leave();
    write_model(argv[2], &e.graph);
    printf("hepcnn-export: %s (%s, %d layers) -> %s (ONNX opset %d; input 'images' [batch][%d][%d][%d], "
           "output 'probabilities' [batch][%d])\n", e.ckpt, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(net, "network")),
           cJSON_GetArraySize(layers), argv[2], OPSET, in[0], in[1], in[2], classes);
    cJSON_Delete(net);
    free(text);
    return 0;
}
