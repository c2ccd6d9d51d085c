/* ---- $(L.name): softmax cross-entropy over $(L.classes) classes ----
 * probabilities m->probs [batch][$(L.classes)] from the logits m->$(L.in_buf) [$(L.classes)][batch];
 * loss = sum_n w_n * -log p[n][label_n] / n_images; dlogits [$(L.classes)][batch] = w_n (p - onehot) / n_images */
static void $(L.name)_forward(hep_model *m, int n_images)
{
    enum { K = $(L.classes) };
    for (int n = 0; n < n_images; n++) {
        float z[K];
        for (int k = 0; k < K; k++) z[k] = m->$(L.in_buf)[(size_t)k * m->batch + n];
        float *p = m->probs + (size_t)n * K;
        float zmax = z[0];
        for (int k = 1; k < K; k++) zmax = z[k] > zmax ? z[k] : zmax;
        double sum = 0.0;
        for (int k = 0; k < K; k++) sum += exp((double)z[k] - zmax);
        for (int k = 0; k < K; k++) p[k] = (float)(exp((double)z[k] - zmax) / sum);
    }
}

static double $(L.name)_backward(hep_model *m, const int *labels, const float *weights, int n_images,
                                 float *dlogits)
{
    enum { K = $(L.classes) };
    double loss = 0.0;
    for (int n = 0; n < n_images; n++) {
        float z[K];
        for (int k = 0; k < K; k++) z[k] = m->$(L.in_buf)[(size_t)k * m->batch + n];
        const float *p = m->probs + (size_t)n * K;
        double w = weights ? weights[n] : 1.0;
        float zmax = z[0];
        double sum = 0.0;
        for (int k = 1; k < K; k++) zmax = z[k] > zmax ? z[k] : zmax;
        for (int k = 0; k < K; k++) sum += exp((double)z[k] - zmax);
        loss += w * (log(sum) - ((double)z[labels[n]] - zmax));
        for (int k = 0; k < K; k++)
            dlogits[(size_t)k * m->batch + n] = (float)(w * ((double)p[k] - (k == labels[n])) / n_images);
    }
    return loss / n_images;
}
