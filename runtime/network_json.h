/* The network's layer table as JSON, stored in every checkpoint (attribute
 * `network_layers`), so that tools without the generated code -- the ONNX
 * exporter, a user's script -- can rebuild the network from a checkpoint:
 *
 *   {"network": "hep64_bn", "input": [C, H, W], "classes": K, "layers": [
 *     {"name": "conv1", "kind": "conv", "in": [C, H, W], "out": [C, H, W],
 *      "relu": true, "pool": true, "weight": "conv1/weight", "bias": null,
 *      "batchnorm": {"weight": "bn1/weight", "bias": "bn1/bias",
 *                    "running_mean": "bn1/running_mean",
 *                    "running_var": "bn1/running_var", "eps": 0.0001}},
 *     {"name": "flatten1", "kind": "flatten", ...},   (or "avgpool": global)
 *     {"name": "fc1", "kind": "dense", "relu": true, "weight": ..., "bias": ...},
 *     {"name": "softmax_xent1", "kind": "softmax_xent", ...}]}
 *
 * Tensor names are the checkpoint's dataset names (PyTorch order);
 * dropout is left out (inference). */
#ifndef HEP_NETWORK_JSON_H
#define HEP_NETWORK_JSON_H

#include <model.h>

/* malloc'd JSON text, or NULL when out of memory. */
char *hep_network_json(const hep_model_info *info);

#endif
