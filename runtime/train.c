/* Training loop (see train.h). */
#include "train.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/time.h>

#include "data.h"
#include "init.h"
#include "optim.h"
#include "util.h"

static double unix_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + 1e-6 * tv.tv_usec;
}

int hep_train(const hep_config *cfg, const hep_run *run)
{
    const hep_model_info *info = hep_model_info_get();
    char err[512];
    hep_model *m = hep_model_create(run->batch, run->threads, err, sizeof err);
    if (!m) hep_fatal("%s", err);
    hep_init_params(m, info, (uint64_t)cfg->seed);
    float *params = hep_model_params(m), *grads = hep_model_grads(m);
    /* Same seed gives the same weights everywhere; the broadcast makes it a
     * guarantee rather than a coincidence. */
    if (run->size > 1 && MPI_Bcast(params, (int)info->num_params, MPI_FLOAT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        hep_fatal("MPI_Bcast of the initial parameters failed");

    hep_adam adam;
    hep_adam_init(&adam, info->num_params, cfg->learning_rate, cfg->weight_decay);
    hep_dummy data;
    hep_dummy_init(&data, info, run->batch, (uint64_t)cfg->seed, run->rank);

    double loss_sum = 0.0, t_report = hep_wall_seconds();
    int in_report = 0;
    for (long step = 0; step < run->steps; step++) {
        const float *x, *w;
        const int *labels;
        hep_dummy_batch(&data, step, &x, &labels, &w);
        hep_pass pass = { .training = 1, .keep_prob = (float)cfg->dropout_p, .seed = (uint64_t)cfg->seed,
                          .step = (uint64_t)step,
                          .first_sample = (uint64_t)run->rank * run->batch };
        hep_model_forward(m, x, run->batch, &pass, NULL);
        double loss = hep_model_backward(m, labels, w, run->batch, &pass);
        if (run->size > 1) {
            if (MPI_Allreduce(MPI_IN_PLACE, grads, (int)info->num_params, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS ||
                MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
                hep_fatal("MPI_Allreduce of the gradients failed at step %ld", step + 1);
            const float scale = 1.0f / run->num_workers;
            for (size_t i = 0; i < info->num_params; i++) grads[i] *= scale;
            loss /= run->num_workers;
        }
        if (!isfinite(loss))
            hep_fatal("the training loss became %s at step %ld (learning_rate %g): stopping; "
                      "try a smaller learning_rate", isnan(loss) ? "NaN" : "infinite", step + 1, cfg->learning_rate);
        hep_adam_update(&adam, info, params, grads);
        loss_sum += loss;
        in_report++;
        if ((step + 1) % cfg->display_interval == 0 || step + 1 == run->steps) {
            double now = hep_wall_seconds();
            if (run->rank == 0) {
                printf("%.3f TRAINING REPORT: step %ld (%ld), average loss %g (%.3f sec/batch)\n", unix_time(),
                       step + 1, run->steps, loss_sum / in_report, (now - t_report) / in_report);
                fflush(stdout);
            }
            loss_sum = 0.0;
            in_report = 0;
            t_report = now;
        }
    }
    hep_dummy_free(&data);
    hep_adam_free(&adam);
    hep_model_destroy(m);
    return 0;
}
