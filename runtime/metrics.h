/* Evaluation metrics over all ranks: loss, accuracy and ROC AUC weighted by
 * the files' `weight` dataset (as the seed does), exact AUC from sorted
 * scores. For more than two classes: accuracy and one-vs-rest AUC per class
 * and their mean. */
#ifndef HEP_METRICS_H
#define HEP_METRICS_H

#include <mpi.h>
#include <stddef.h>

typedef struct {
    long n;              /* samples evaluated (all ranks) */
    double loss;         /* mean cross-entropy, weighted as the training loss (loss_weight) */
    double accuracy;     /* weighted by weight */
    double auc;          /* binary: class 1 vs 0; K > 2: mean one-vs-rest */
    int classes;
    double auc_class[16];
} hep_metrics;

/* Weighted ROC AUC of `score` for positives (label == positive) against
 * the rest; exact (ties count half). Returns -1 when a class is missing. */
double hep_weighted_auc(const float *score, const int *label, const float *weight, long n, int positive,
                        size_t score_stride);

/* probs [n][K] of this rank's samples; gathered to rank 0, which computes;
 * every rank gets the result. When records is not NULL, rank 0 also gets
 * the gathered per-sample records (malloc'd, [n][K + 3]: probabilities,
 * label, weight, normweight) in *records and their count in out->n. */
void hep_metrics_compute(MPI_Comm comm, const float *probs, const int *label, const float *weight,
                         const float *normweight, long n, int classes, hep_metrics *out, float **records);

#endif
