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

/* One rank's evaluated samples: probs [n][classes], and per sample the
 * label, weight, normweight (the loss's weight) and psr (the standard
 * cuts' decision, 0 when the files have none). */
typedef struct {
    long n;
    float *probs, *weight, *normweight, *psr;
    int *label;
} hep_samples;

/* Gathered records: [n][classes + HEP_REC_FIELDS], the probabilities, then
 * these fields. */
enum { HEP_REC_LABEL = 0, HEP_REC_WEIGHT = 1, HEP_REC_NORMWEIGHT = 2, HEP_REC_PSR = 3, HEP_REC_FIELDS = 4 };

/* The samples are gathered to rank 0, which computes; every rank gets the
 * result. When records is not NULL, rank 0 also gets the gathered records
 * (malloc'd) in *records and their count in out->n. */
void hep_metrics_compute(MPI_Comm comm, const hep_samples *s, int classes, hep_metrics *out, float **records);

#endif
