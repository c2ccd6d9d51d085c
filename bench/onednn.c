/* oneDNN convolution timings (see onednn.h). */
#include "onednn.h"

#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                      \
    do {                                                                                 \
        dnnl_status_t s_ = (call);                                                       \
        if (s_ != dnnl_success) {                                                        \
            fprintf(stderr, "oneDNN: %s failed (status %d) at %s:%d\n", #call, (int)s_,   \
                    __FILE__, __LINE__);                                                 \
            return -1;                                                                   \
        }                                                                                \
    } while (0)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A memory object in the format the primitive chose, filled with small values. */
static int make_memory(dnnl_memory_t *mem, const dnnl_primitive_desc_t pd, dnnl_query_t what, int index,
                       dnnl_engine_t eng)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, index);
    if (!md) { fprintf(stderr, "oneDNN: no memory descriptor for query %d\n", (int)what); return -1; }
    CHECK(dnnl_memory_create(mem, md, eng, DNNL_MEMORY_ALLOCATE));
    void *p;
    CHECK(dnnl_memory_get_data_handle(*mem, &p));
    size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    for (size_t i = 0; i < n; i++) ((float *)p)[i] = 0.01f * (float)((i * 7) % 13) - 0.05f;
    return 0;
}

static double time_primitive(dnnl_primitive_t prim, dnnl_stream_t stream, int nargs, const dnnl_exec_arg_t *args,
                             int reps)
{
    double *t = malloc(sizeof(double) * reps), med;
    for (int r = -2; r < reps; r++) {
        double t0 = omp_get_wtime();
        if (dnnl_primitive_execute(prim, stream, nargs, args) != dnnl_success || dnnl_stream_wait(stream) != dnnl_success) {
            free(t);
            return -1;
        }
        if (r >= 0) t[r] = omp_get_wtime() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    med = t[reps / 2];
    free(t);
    return 1e3 * med;
}

/* Creates a primitive descriptor; an algorithm oneDNN does not offer for
 * this shape and CPU leaves *pd NULL (not an error). */
static int create_pd(dnnl_primitive_desc_t *pd, const void *desc, dnnl_engine_t eng, dnnl_primitive_desc_t hint)
{
    dnnl_status_t s = dnnl_primitive_desc_create(pd, desc, NULL, eng, hint);
    if (s == dnnl_unimplemented) { *pd = NULL; return 0; }
    CHECK(s);
    return 0;
}

/* Median milliseconds of pd's primitive, with memories in its formats: args
 * from queries (a bias is the weights query's second descriptor). */
static double time_pd(dnnl_primitive_desc_t pd, const int *args, const dnnl_query_t *queries, int nargs,
                      dnnl_engine_t eng, dnnl_stream_t stream, int reps)
{
    dnnl_memory_t mem[4];
    dnnl_exec_arg_t ex[4];
    dnnl_primitive_t prim;
    for (int i = 0; i < nargs; i++) {
        int bias = args[i] == DNNL_ARG_BIAS || args[i] == DNNL_ARG_DIFF_BIAS;
        if (make_memory(&mem[i], pd, queries[i], bias, eng)) return -1;
        ex[i] = (dnnl_exec_arg_t){ args[i], mem[i] };
    }
    if (dnnl_primitive_create(&prim, pd) != dnnl_success) return -1;
    double ms = time_primitive(prim, stream, nargs, ex, reps);
    dnnl_primitive_destroy(prim);
    for (int i = 0; i < nargs; i++) dnnl_memory_destroy(mem[i]);
    return ms;
}

/* ms[3] of one conv layer with one algorithm; -2 for a pass it does not offer. */
static int time_layer(const hep_layer_info *li, int first, int batch, int reps, dnnl_alg_kind_t alg,
                      dnnl_engine_t eng, dnnl_stream_t stream, double ms[3])
{
    dnnl_dims_t src = { batch, li->in_c, li->in_h, li->in_w }, dst = { batch, li->out_c, li->in_h, li->in_w };
    dnnl_dims_t wei = { li->out_c, li->in_c, 3, 3 }, bias = { li->out_c };
    dnnl_dims_t strides = { 1, 1 }, pad = { 1, 1 };
    dnnl_memory_desc_t src_md, dst_md, wei_md, bias_md;
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 4, wei, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias, dnnl_f32, dnnl_x));
    dnnl_convolution_desc_t fd, bd, wd;
    dnnl_primitive_desc_t fpd, bpd = NULL, wpd;
    ms[0] = ms[1] = ms[2] = -2;
    CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, alg, &src_md, &wei_md, &bias_md, &dst_md,
                                             strides, pad, pad));
    if (create_pd(&fpd, &fd, eng, NULL) != 0) return -1;
    if (!fpd) return 0;
    CHECK(dnnl_convolution_backward_weights_desc_init(&wd, alg, &src_md, &wei_md, &bias_md, &dst_md, strides, pad, pad));
    if (create_pd(&wpd, &wd, eng, fpd) != 0) return -1;
    if (!first) {   /* the first layer's input needs no gradient */
        CHECK(dnnl_convolution_backward_data_desc_init(&bd, alg, &src_md, &wei_md, &dst_md, strides, pad, pad));
        if (create_pd(&bpd, &bd, eng, fpd) != 0) return -1;
    }
    static const int fargs[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST };
    static const dnnl_query_t fq[] = { dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_weights_md, dnnl_query_dst_md };
    static const int wargs[] = { DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS };
    static const dnnl_query_t wq[] = { dnnl_query_src_md, dnnl_query_diff_dst_md, dnnl_query_diff_weights_md,
                                       dnnl_query_diff_weights_md };
    static const int bargs[] = { DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST };
    static const dnnl_query_t bq[] = { dnnl_query_diff_src_md, dnnl_query_weights_md, dnnl_query_diff_dst_md };
    ms[0] = time_pd(fpd, fargs, fq, 4, eng, stream, reps);
    if (wpd) ms[2] = time_pd(wpd, wargs, wq, 4, eng, stream, reps);
    if (bpd) ms[1] = time_pd(bpd, bargs, bq, 3, eng, stream, reps);
    if (first) ms[1] = 0;
    dnnl_primitive_desc_destroy(fpd);
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    if (bpd) dnnl_primitive_desc_destroy(bpd);
    return ms[0] == -1 || ms[1] == -1 || ms[2] == -1 ? -1 : 0;
}

int hep_onednn_conv_times(const hep_model_info *info, int batch, int reps, double (*ms)[3], char (*alg)[3],
                          double (*direct_ms)[3])
{
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
    int rc = 0;
    for (int l = 0; l < info->num_layers && rc == 0; l++) {
        const hep_layer_info *li = &info->layers[l];
        ms[l][0] = ms[l][1] = ms[l][2] = 0;
        direct_ms[l][0] = direct_ms[l][1] = direct_ms[l][2] = 0;
        alg[l][0] = alg[l][1] = alg[l][2] = '-';
        if (li->kind != HEP_LAYER_CONV) continue;
        double direct[3], wino[3];
        rc = time_layer(li, l == 0, batch, reps, dnnl_convolution_direct, eng, stream, direct);
        if (rc == 0) rc = time_layer(li, l == 0, batch, reps, dnnl_convolution_winograd, eng, stream, wino);
        for (int p = 0; p < 3 && rc == 0; p++) {
            int w = wino[p] > 0 && (direct[p] < 0 || wino[p] < direct[p]);   /* oneDNN's best: the faster one offered */
            ms[l][p] = w ? wino[p] : direct[p];
            direct_ms[l][p] = direct[p];
            alg[l][p] = w ? 'w' : 'd';
        }
    }
    if (rc != 0) fprintf(stderr, "oneDNN: execution failed\n");
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return rc;
}

const char *hep_onednn_isa(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core) return "AVX-512";
    if ((isa & dnnl_cpu_isa_avx512_mic) == dnnl_cpu_isa_avx512_mic) return "AVX-512 (KNL)";
    if ((isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2) return "AVX2";
    return "SSE4.1 or AVX";
}
