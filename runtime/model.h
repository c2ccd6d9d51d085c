/* The contract between a generated model (build/<net>-<arch>/model.c) and the
 * runtime. The generated code implements every function declared here; the
 * runtime (training loop, optimiser, checkpoints, MPI) sees nothing else.
 *
 * Parameters and gradients live in one contiguous float array each, in the
 * model's internal (blocked) element order. Elementwise work -- Adam, an
 * allreduce, a sum over ranks -- runs on those arrays directly. Everything
 * that needs a meaningful element order (checkpoints, initialisation, tests)
 * goes through hep_model_params_to_plain / _from_plain, which use PyTorch's
 * order: conv weight [out][in][3][3], dense weight [out][in], biases [out].
 * Each tensor occupies the same [offset, offset+count) range in both orders.
 *
 * Images cross the contract as plain float [n][C][H][W]. */
#ifndef HEP_MODEL_H
#define HEP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define HEP_MODEL_ABI 6

/* WEIGHT: He-normal, L2 weight decay; BIAS: zero; SCALE (batch norm's
 * gamma): one; STATE: not trained (batch norm's running averages). */
enum hep_tensor_kind { HEP_TENSOR_WEIGHT = 0, HEP_TENSOR_BIAS = 1, HEP_TENSOR_SCALE = 2, HEP_TENSOR_STATE = 3 };

typedef struct {
    const char *name;      /* "conv1/weight", "fc/bias" */
    int kind;              /* enum hep_tensor_kind */
    int ndim;
    int shape[4];          /* PyTorch order */
    size_t offset, count;  /* floats, into the parameter (or state) array in plain order */
    int fan_in;            /* inputs per output, for He-normal init */
    size_t internal, stored;   /* its offset and floats in the internal arrays (stored >= count:
                                  a dense weight's rows are padded there) */
} hep_tensor_info;

enum hep_layer_kind { HEP_LAYER_CONV = 0, HEP_LAYER_AVGPOOL = 1, HEP_LAYER_FLATTEN = 2,
                      HEP_LAYER_DENSE = 3, HEP_LAYER_SOFTMAX_XENT = 4 };

/* One fused layer as generated: a conv with its epilogue (ReLU, 2x2 max-pool,
 * dropout), the head, a dense layer with its epilogue, the loss. Enough to
 * describe the network to a reference implementation or a user. */
typedef struct {
    const char *name;
    int kind;                  /* enum hep_layer_kind */
    int in_c, in_h, in_w;      /* features: in_c with in_h = in_w = 1 */
    int out_c, out_h, out_w;
    int relu, pool;            /* fused epilogue */
    int dropout;               /* dropout stream (1-based), 0 when none */
    int weight, bias;          /* indices into tensors, -1 when none */
    double flops;              /* forward, per image */
    /* Batch normalisation between the conv and its epilogue (-1: none):
     * scale (gamma) and shift (beta) index tensors, mean and var the
     * running averages in state_tensors. Training normalises with the
     * batch's statistics (biased variance) and updates the running averages
     * as PyTorch does (momentum weighs the batch, unbiased variance);
     * inference uses the running averages. */
    int bn_scale, bn_shift, bn_mean, bn_var;
    float bn_eps, bn_momentum;
    /* Conv passes computed by Winograd F(m x m, 3x3) (bits: 1 forward,
     * 2 backward-data, 4 backward-weights; 0: all direct), and its m. */
    int winograd_passes, winograd_tile;
} hep_layer_info;

/* One forward intermediate the tests can read back in plain [n][C][H][W]
 * (or [n][features]) order. */
typedef struct {
    const char *name;      /* "conv2" (after its epilogue), "fc1", "probs" */
    int c, h, w;           /* h = w = 1 for feature vectors */
} hep_probe_info;

typedef struct {
    int abi;                        /* HEP_MODEL_ABI of the generator */
    const char *network;            /* "hep224" */
    const char *network_file;       /* "networks/hep224.lua" */
    const char *arch;               /* "knl", "hsw", "skx", "native" */
    const char *generator_version;
    const char *libxsmm_target;     /* NULL: let libxsmm choose */
    int in_channels, in_height, in_width;
    int num_classes;
    double flops_forward;           /* per image, 2 FLOPs per multiply-add */
    double flops_train;             /* forward + backward, per image */
    size_t num_params;              /* floats of parameters in plain order */
    size_t num_internal;            /* the internal arrays' floats (>= num_params: padding) */
    int num_tensors;
    const hep_tensor_info *tensors;
    size_t num_state;               /* floats of model state (0: none) */
    int num_state_tensors;
    const hep_tensor_info *state_tensors;   /* offsets into the state array */
    int num_layers;
    const hep_layer_info *layers;
    int num_probes;
    const hep_probe_info *probes;
    /* Network facts the seed's config keys describe (checked against it). */
    int num_pooled_convs;           /* num_layers */
    int num_filters;                /* conv_params.num_filters (all convs) */
    int filter_size;                /* conv_params.filter_size */
    int num_fc_units;               /* hidden dense units; 0 when none */
    int global_avgpool;             /* scaling_improvements */
    int num_dropout;                /* dropout layers (RNG streams 1..n) */
    int backward_pieces;            /* the fewest pieces the convs' backward cuts an image into when a rank
                                       has fewer images than threads: with fewer pieces than threads, some wait */
    const char *cpu_features;       /* hep_model_isa.features */
    /* The CPU whose section of the tuning file gave the build any of its
     * choices ("GenuineIntel family 6 model 207", as gen/tuning.lua's
     * host_key; NULL: none), and
     * the section ("tuning/skx.lua hosts[...]"), for a note when it runs
     * on another CPU (runtime/cpu_host.h). */
    const char *tuning_host, *tuning_section;
} hep_model_info;

/* The CPU extensions the build may use (Linux /proc/cpuinfo flags,
 * space-separated), as gen/isa.lua read them from the compiler for the
 * arch's flags, and those of each named arch's build ("knl:f1 f2;skx:..."),
 * so that a refusal can say which build would run. Plain data: the start-up
 * check (runtime/isa_guard.c, compiled for baseline x86-64) reads it before
 * main, without calling any arch-compiled code. */
typedef struct {
    const char *network;            /* "hep64" */
    const char *arch;               /* "knl" */
    const char *arch_description;
    const char *features;
    const char *alternatives;
} hep_isa_requirement;

extern const hep_isa_requirement hep_model_isa;

/* What one forward/backward pass needs beyond the data. */
typedef struct {
    int training;          /* 1: dropout active; 0: inference */
    float keep_prob;       /* dropout keep probability (config dropout_p) */
    uint64_t seed;         /* run seed: with step, keys the dropout masks */
    uint64_t step;         /* global step */
    uint64_t first_sample; /* global index of image 0 of this batch */
} hep_pass;

typedef struct hep_model hep_model;

const hep_model_info *hep_model_info_get(void);

/* Allocates every buffer for up to `batch` images and `threads` OpenMP
 * threads, touches all pages, dispatches all kernels. NULL on failure with a
 * message in err. */
hep_model *hep_model_create(int batch, int threads, char *err, size_t errlen);
/* The bytes of the buffers hep_model_create allocates and touches for
 * `batch` images and `threads` threads: what a caller checks against the
 * memory it may use before creating a model (runtime/memory.h). */
size_t hep_model_bytes(int batch, int threads);
void hep_model_destroy(hep_model *m);

float *hep_model_params(hep_model *m);   /* [num_internal], internal order */
float *hep_model_grads(hep_model *m);    /* [num_internal], internal order */
/* [num_state] model state, plain order: updated by every training forward,
 * read by inference; not trained, so not in the parameter array (Adam,
 * allreduce and parameter servers never see it). */
float *hep_model_state(hep_model *m);

/* [num_internal] internal to [num_params] plain (PyTorch) order and back;
 * from_plain zeroes the internal padding. */
void hep_model_params_to_plain(const hep_model *m, const float *internal, float *plain);
void hep_model_params_from_plain(const hep_model *m, const float *plain, float *internal);

/* Forward n <= batch images x [n][C][H][W]; writes class probabilities
 * probs [n][num_classes] when probs is not NULL. */
void hep_model_forward(hep_model *m, const float *x, int n, const hep_pass *pass, float *probs);

/* After a training forward of the same n images: softmax cross-entropy with
 * integer labels and per-sample weights (NULL: all 1), loss =
 * sum_i w_i * CE_i / n. Fills the gradient array; returns the loss. */
double hep_model_backward(hep_model *m, const int *labels, const float *weights, int n,
                          const hep_pass *pass);

/* Hooks for overlapping communication with backward: hep_model_backward
 * calls ready(ctx, offset, count) as soon as gradient range [offset,
 * offset+count) is final (a layer's weight and bias, last layer first), and
 * progress(ctx) now and then while the convolutions run. Both are called on
 * the thread that called hep_model_backward (OpenMP's master thread), so an
 * MPI_THREAD_FUNNELED program may call MPI in them. NULL hooks: none. */
typedef struct {
    void (*ready)(void *ctx, size_t offset, size_t count);
    void (*progress)(void *ctx);
    void *ctx;
} hep_grad_hooks;

void hep_model_set_grad_hooks(hep_model *m, const hep_grad_hooks *hooks);

/* Copy forward intermediate `probe` of the last forward (n images) out in
 * plain order. */
void hep_model_probe(const hep_model *m, int probe, int n, float *plain);

/* Seconds spent in each layer (indexed like info->layers) during the calls
 * since the last reset: forward, backward-data (with the epilogue backward)
 * and backward-weights. Backward figures are thread-seconds divided by the
 * thread count. For benchmarks; the cost is two clock reads per call. */
typedef struct { double forward, backward_data, backward_weights; } hep_layer_time;
void hep_model_layer_times(const hep_model *m, hep_layer_time *times);
void hep_model_reset_layer_times(hep_model *m);

#endif
