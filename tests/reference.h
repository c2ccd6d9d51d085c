/* Plain-loop reference implementation of any generated network, driven by
 * the model's layer table: NCHW activations, PyTorch-order parameters,
 * double accumulation. Obvious on purpose: the tests compare every layer's
 * output and every parameter gradient of the generated code to it. Its
 * convolution loops are ordered so that the compiler vectorises them and
 * threads share them out without changing the order of any sum (compared
 * when so arranged: bitwise the results of the plain seven-deep loops). */
#ifndef HEP_TEST_REFERENCE_H
#define HEP_TEST_REFERENCE_H

#include <model.h>

typedef struct {
    const hep_model_info *info;
    int n;
    float **out;      /* [num_layers] layer outputs, plain; out[i] has n * out_c*out_h*out_w */
    float *pre[64];   /* conv/dense pre-activation (before ReLU/pool), for backward */
    float *z[64];     /* batch-norm layers: the conv output before normalisation */
    double *bn_mean[64], *bn_invstd[64];   /* the statistics the forward used */
    float *state;     /* [num_state] running averages: read in inference, updated in training */
    const float *params;   /* of the last forward */
    long near_ties[64]; /* pool windows whose two largest values are within float
                           rounding of each other: either choice is right, and the
                           reference (double sums) may choose differently */
    long near_kinks[64];   /* ReLU inputs within float rounding of 0: the model's
                              may fall on the other side, passing a gradient or not */
} ref_state;

int ref_init(ref_state *s, const hep_model_info *info, int n);
void ref_free(ref_state *s);
void ref_forward(ref_state *s, const float *params, const float *x, const hep_pass *pass);
/* Returns the loss; fills grads [num_params] (plain order). */
double ref_backward(ref_state *s, const float *params, const float *x, const int *labels,
                    const float *weights, const hep_pass *pass, float *grads);

#endif
