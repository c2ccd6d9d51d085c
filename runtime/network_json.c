/* The layer table as JSON (see network_json.h). */
#include "network_json.h"

#include <cjson/cJSON.h>

static const char *const kind_names[] = { "conv", "avgpool", "flatten", "dense", "softmax_xent" };

static void add_shape(cJSON *o, const char *key, int c, int h, int w)
{
    const int v[3] = { c, h, w };
    cJSON_AddItemToObject(o, key, cJSON_CreateIntArray(v, 3));
}

static void add_tensor(cJSON *o, const char *key, const hep_tensor_info *tensors, int index)
{
    if (index >= 0) cJSON_AddStringToObject(o, key, tensors[index].name);
    else cJSON_AddNullToObject(o, key);
}

static cJSON *layer_json(const hep_model_info *info, const hep_layer_info *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", l->name);
    cJSON_AddStringToObject(o, "kind", l->kind >= 0 && l->kind < 5 ? kind_names[l->kind] : "unknown");
    add_shape(o, "in", l->in_c, l->in_h, l->in_w);
    add_shape(o, "out", l->out_c, l->out_h, l->out_w);
    cJSON_AddBoolToObject(o, "relu", l->relu);
    cJSON_AddBoolToObject(o, "pool", l->pool);
    add_tensor(o, "weight", info->tensors, l->weight);
    add_tensor(o, "bias", info->tensors, l->bias);
    if (l->bn_scale >= 0) {
        cJSON *bn = cJSON_AddObjectToObject(o, "batchnorm");
        add_tensor(bn, "weight", info->tensors, l->bn_scale);
        add_tensor(bn, "bias", info->tensors, l->bn_shift);
        add_tensor(bn, "running_mean", info->state_tensors, l->bn_mean);
        add_tensor(bn, "running_var", info->state_tensors, l->bn_var);
        cJSON_AddNumberToObject(bn, "eps", l->bn_eps);
    }
    return o;
}

char *hep_network_json(const hep_model_info *info)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON_AddStringToObject(root, "network", info->network);
    add_shape(root, "input", info->in_channels, info->in_height, info->in_width);
    cJSON_AddNumberToObject(root, "classes", info->num_classes);
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int i = 0; i < info->num_layers; i++) cJSON_AddItemToArray(layers, layer_json(info, &info->layers[i]));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
