/* Normalisation maxima (see norm.h). */
#define _POSIX_C_SOURCE 200809L
#include "norm.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "util.h"

static int load_saved(const char *path, const hep_h5file *train, int ntrain, int C, float *channel_max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    if (!root) return -1;
    int ok = 1;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "train_files");
    const cJSON *maxima = cJSON_GetObjectItemCaseSensitive(root, "channel_max");
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) != ntrain || !cJSON_IsArray(maxima) ||
        cJSON_GetArraySize(maxima) != C) {
        ok = 0;
    } else {
        for (int i = 0; i < ntrain && ok; i++) {
            const cJSON *e = cJSON_GetArrayItem(files, i);
            ok = cJSON_IsString(e) && strcmp(e->valuestring, train[i].path) == 0;
        }
        for (int c = 0; c < C && ok; c++) {
            const cJSON *e = cJSON_GetArrayItem(maxima, c);
            /* a hand-edited or damaged value is recomputed, not trusted */
            ok = cJSON_IsNumber(e) && isfinite(e->valuedouble) && e->valuedouble >= 0 && e->valuedouble <= FLT_MAX;
            if (ok) channel_max[c] = (float)e->valuedouble;
        }
    }
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

static void save(const char *path, const hep_h5file *train, int ntrain, int C, const float *channel_max)
{
    cJSON *root = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(root, "train_files");
    cJSON *maxima = cJSON_AddArrayToObject(root, "channel_max");
    for (int i = 0; i < ntrain; i++) cJSON_AddItemToArray(files, cJSON_CreateString(train[i].path));
    for (int c = 0; c < C; c++) cJSON_AddItemToArray(maxima, cJSON_CreateNumber(channel_max[c]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%.4190s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) hep_write_failed("normalisation file", path, NULL, errno, 0, NULL);
    if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        const int err = errno;
        fclose(f);
        hep_write_failed("normalisation file", path, tmp, err, 0, NULL);
    }
    if (fclose(f) != 0) hep_write_failed("normalisation file", path, tmp, errno, 0, NULL);
    if (rename(tmp, path) != 0) hep_fatal("cannot rename %s to %s: %s", tmp, path, strerror(errno));
    free(text);
}

void hep_normalization(MPI_Comm comm, const char *outputpath, const hep_h5file *train, int ntrain,
                       const hep_model_info *info, int rank, int size, float *channel_max)
{
    const int C = info->in_channels;
    char path[4200];
    snprintf(path, sizeof path, "%s/normalization.json", outputpath);
    int have = rank == 0 ? load_saved(path, train, ntrain, C, channel_max) == 0 : 0;
    if (MPI_Bcast(&have, 1, MPI_INT, 0, comm) != MPI_SUCCESS) hep_fatal("MPI_Bcast failed");
    if (have) {
        if (MPI_Bcast(channel_max, C, MPI_FLOAT, 0, comm) != MPI_SUCCESS) hep_fatal("MPI_Bcast failed");
        if (rank == 0) printf("hepcnn: normalisation maxima from %s\n", path);
        return;
    }
    char err[1024];
    if (hep_scan_files(train, ntrain, info, rank, size, channel_max, err, sizeof err) != 0) hep_fatal("%s", err);
    if (MPI_Allreduce(MPI_IN_PLACE, channel_max, C, MPI_FLOAT, MPI_MAX, comm) != MPI_SUCCESS)
        hep_fatal("MPI_Allreduce of the normalisation maxima failed");
    if (rank == 0) {
        save(path, train, ntrain, C, channel_max);
        printf("hepcnn: normalisation maxima (per channel, over the training sample):");
        for (int c = 0; c < C; c++) printf(" %g", channel_max[c]);
        printf(" -> %s\n", path);
    }
}
