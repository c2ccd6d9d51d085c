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
static int make_memory(dnnl_memory_t *mem, const dnnl_primitive_desc_t pd, dnnl_query_t what, dnnl_engine_t eng)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
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

int hep_onednn_conv_times(const hep_model_info *info, int batch, int reps, double (*ms)[3])
{
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
    for (int l = 0; l < info->num_layers; l++) {
        const hep_layer_info *li = &info->layers[l];
        ms[l][0] = ms[l][1] = ms[l][2] = 0;
        if (li->kind != HEP_LAYER_CONV) continue;
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
        CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_md,
                                                 &wei_md, &bias_md, &dst_md, strides, pad, pad));
        CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
        CHECK(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src_md, &wei_md, &bias_md,
                                                          &dst_md, strides, pad, pad));
        CHECK(dnnl_primitive_desc_create(&wpd, &wd, NULL, eng, fpd));
        if (l > 0) {   /* the first layer's input needs no gradient */
            CHECK(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src_md, &wei_md, &dst_md,
                                                           strides, pad, pad));
            CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd));
        }
        dnnl_memory_t m_src, m_wei, m_bias, m_dst, w_src, w_dwei, w_dbias, w_ddst;
        if (make_memory(&m_src, fpd, dnnl_query_src_md, eng) || make_memory(&m_wei, fpd, dnnl_query_weights_md, eng) ||
            make_memory(&m_dst, fpd, dnnl_query_dst_md, eng) ||
            make_memory(&w_src, wpd, dnnl_query_src_md, eng) || make_memory(&w_dwei, wpd, dnnl_query_diff_weights_md, eng) ||
            make_memory(&w_ddst, wpd, dnnl_query_diff_dst_md, eng))
            return -1;
        CHECK(dnnl_memory_create(&m_bias, &bias_md, eng, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&w_dbias, &bias_md, eng, DNNL_MEMORY_ALLOCATE));
        dnnl_primitive_t fwd, bww;
        CHECK(dnnl_primitive_create(&fwd, fpd));
        CHECK(dnnl_primitive_create(&bww, wpd));
        dnnl_exec_arg_t fargs[] = { { DNNL_ARG_SRC, m_src }, { DNNL_ARG_WEIGHTS, m_wei }, { DNNL_ARG_BIAS, m_bias },
                                    { DNNL_ARG_DST, m_dst } };
        dnnl_exec_arg_t wargs[] = { { DNNL_ARG_SRC, w_src }, { DNNL_ARG_DIFF_DST, w_ddst },
                                    { DNNL_ARG_DIFF_WEIGHTS, w_dwei }, { DNNL_ARG_DIFF_BIAS, w_dbias } };
        ms[l][0] = time_primitive(fwd, stream, 4, fargs, reps);
        ms[l][2] = time_primitive(bww, stream, 4, wargs, reps);
        if (bpd) {
            dnnl_memory_t b_dsrc, b_wei, b_ddst;
            dnnl_primitive_t bwd;
            if (make_memory(&b_dsrc, bpd, dnnl_query_diff_src_md, eng) || make_memory(&b_wei, bpd, dnnl_query_weights_md, eng) ||
                make_memory(&b_ddst, bpd, dnnl_query_diff_dst_md, eng))
                return -1;
            CHECK(dnnl_primitive_create(&bwd, bpd));
            dnnl_exec_arg_t bargs[] = { { DNNL_ARG_DIFF_SRC, b_dsrc }, { DNNL_ARG_WEIGHTS, b_wei },
                                        { DNNL_ARG_DIFF_DST, b_ddst } };
            ms[l][1] = time_primitive(bwd, stream, 3, bargs, reps);
            dnnl_primitive_destroy(bwd);
            dnnl_memory_destroy(b_dsrc); dnnl_memory_destroy(b_wei); dnnl_memory_destroy(b_ddst);
            dnnl_primitive_desc_destroy(bpd);
        }
        if (ms[l][0] < 0 || ms[l][1] < 0 || ms[l][2] < 0) { fprintf(stderr, "oneDNN: execution failed\n"); return -1; }
        dnnl_primitive_destroy(fwd); dnnl_primitive_destroy(bww);
        dnnl_memory_destroy(m_src); dnnl_memory_destroy(m_wei); dnnl_memory_destroy(m_bias); dnnl_memory_destroy(m_dst);
        dnnl_memory_destroy(w_src); dnnl_memory_destroy(w_dwei); dnnl_memory_destroy(w_dbias); dnnl_memory_destroy(w_ddst);
        dnnl_primitive_desc_destroy(fpd); dnnl_primitive_desc_destroy(wpd);
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return 0;
}
