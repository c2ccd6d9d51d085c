/* He-normal initialisation of weights (std sqrt(2/fan_in)), zero biases,
 * drawn in plain (PyTorch) order from the run seed, so the same seed gives
 * the same network on every arch and thread count. */
#ifndef HEP_INIT_H
#define HEP_INIT_H
#include <stdint.h>
#include <model.h>
void hep_init_params(hep_model *m, const hep_model_info *info, uint64_t seed);
#endif
