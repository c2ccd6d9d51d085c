/* Metrics (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct { float score; int positive; float weight; } scored;

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x > y ? -1 : x < y;
}

double hep_weighted_auc(const float *score, const int *label, const float *weight, long n, int positive,
                        size_t score_stride)
{
    scored *s = hep_xmalloc(sizeof(scored) * (size_t)(n > 0 ? n : 1), "AUC scores");
    double total_pos = 0, total_neg = 0;
    for (long i = 0; i < n; i++) {
        s[i] = (scored){ score[(size_t)i * score_stride], label[i] == positive, weight ? weight[i] : 1.0f };
        if (s[i].positive) total_pos += s[i].weight; else total_neg += s[i].weight;
    }
    if (total_pos <= 0 || total_neg <= 0) { free(s); return -1; }
    qsort(s, (size_t)n, sizeof(scored), by_score_desc);
    /* walk the ROC curve; samples with equal scores form one step (trapezoid) */
    double tp = 0, fp = 0, area = 0;
    for (long i = 0; i < n;) {
        double dtp = 0, dfp = 0;
        long j = i;
        for (; j < n && s[j].score == s[i].score; j++) {
            if (s[j].positive) dtp += s[j].weight; else dfp += s[j].weight;
        }
        area += dfp * (tp + dtp / 2);
        tp += dtp;
        fp += dfp;
        i = j;
    }
    free(s);
    return area / (total_pos * total_neg);
}

/* This rank's samples as records [n][classes + HEP_REC_FIELDS]. */
static float *pack_records(const hep_samples *smp, int classes)
{
    const int stride = classes + HEP_REC_FIELDS;
    float *mine = hep_xmalloc(sizeof(float) * (size_t)(smp->n > 0 ? smp->n : 1) * stride, "evaluation records");
    for (long i = 0; i < smp->n; i++) {
        float *r = mine + i * stride;
        memcpy(r, smp->probs + i * classes, sizeof(float) * classes);
        r[classes + HEP_REC_LABEL] = (float)smp->label[i];
        r[classes + HEP_REC_WEIGHT] = smp->weight[i];
        r[classes + HEP_REC_NORMWEIGHT] = smp->normweight[i];
        r[classes + HEP_REC_PSR] = smp->psr ? smp->psr[i] : 0.0f;
    }
    return mine;
}

/* Every rank's `local` records of `stride` floats, in rank order, on rank
 * 0 (NULL elsewhere); their number on every rank into *total. */
static float *gather_records(MPI_Comm comm, int rank, int size, const float *mine, int local, int stride, long *total)
{
    int *counts = hep_xmalloc(sizeof(int) * size, "gather counts"), *displs = hep_xmalloc(sizeof(int) * size, "gather displs");
    if (MPI_Allgather(&local, 1, MPI_INT, counts, 1, MPI_INT, comm) != MPI_SUCCESS)
        hep_fatal("MPI_Allgather of evaluation sizes failed");
    *total = 0;
    for (int r = 0; r < size; r++) { displs[r] = (int)*total; *total += counts[r]; }
    float *all = NULL;
    if (rank == 0) all = hep_xmalloc(sizeof(float) * (size_t)(*total > 0 ? *total : 1) * stride, "gathered records");
    for (int r = 0; r < size; r++) { counts[r] *= stride; displs[r] *= stride; }
    if (MPI_Gatherv(mine, local * stride, MPI_FLOAT, all, counts, displs, MPI_FLOAT, 0, comm) != MPI_SUCCESS)
        hep_fatal("MPI_Gatherv of evaluation records failed");
    free(counts); free(displs);
    return all;
}

/* Loss, weighted accuracy, AUC and (more than 2 classes) each class's AUC
 * against the rest, of `total` records, into result[0], [1], [2], [3 ..]. */
static void metrics_of_records(const float *all, long total, int classes, double result[3 + 16])
{
    const int stride = classes + HEP_REC_FIELDS;
    int *lab = hep_xmalloc(sizeof(int) * total, "labels");
    float *w = hep_xmalloc(sizeof(float) * total, "weights");
    double loss = 0, correct = 0, wsum = 0;
    for (long i = 0; i < total; i++) {
        const float *p = all + i * stride;
        lab[i] = (int)p[classes + HEP_REC_LABEL];
        w[i] = p[classes + HEP_REC_WEIGHT];
        int best = 0;
        for (int k = 1; k < classes; k++) if (p[k] > p[best]) best = k;
        correct += w[i] * (best == lab[i]);
        wsum += w[i];
        loss += p[classes + HEP_REC_NORMWEIGHT] * -log(fmax(p[lab[i]], 1e-30));
    }
    result[0] = loss / total;
    result[1] = wsum > 0 ? correct / wsum : 0;
    if (classes == 2) {
        result[2] = hep_weighted_auc(all + 1, lab, w, total, 1, stride);
    } else {
        double mean = 0;
        int counted = 0;
        for (int k = 0; k < classes; k++) {   /* the mean over every class; the first 16 reported */
            double auc = hep_weighted_auc(all + k, lab, w, total, k, stride);
            if (k < 16) result[3 + k] = auc;
            if (auc >= 0) { mean += auc; counted++; }
        }
        result[2] = counted ? mean / counted : -1;
    }
    free(lab); free(w);
}

void hep_metrics_compute(MPI_Comm comm, const hep_samples *smp, int classes, hep_metrics *out, float **records)
{
    int rank, size;
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS || MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        hep_fatal("MPI_Comm_rank/MPI_Comm_size failed (evaluation metrics)");
    const int stride = classes + HEP_REC_FIELDS;
    float *mine = pack_records(smp, classes);
    long total;
    float *all = gather_records(comm, rank, size, mine, (int)smp->n, stride, &total);
    double result[3 + 16] = { 0 };
    if (rank == 0 && total > 0) metrics_of_records(all, total, classes, result);
    if (MPI_Bcast(result, 3 + 16, MPI_DOUBLE, 0, comm) != MPI_SUCCESS) hep_fatal("MPI_Bcast of metrics failed");
    out->n = total;
    out->loss = result[0];
    out->accuracy = result[1];
    out->auc = result[2];
    out->classes = classes;
    for (int k = 0; k < 16; k++) out->auc_class[k] = result[3 + k];
    if (records && rank == 0) {
        *records = all;
        all = NULL;
    } else if (records) {
        *records = NULL;
    }
    free(mine); free(all);
}
