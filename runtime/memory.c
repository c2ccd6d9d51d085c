/* The memory a rank may still use (see memory.h). */
#define _POSIX_C_SOURCE 200809L
#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

/* The first number in file `path`, or "max" as UINT64_MAX; -1 when the file
 * is missing or holds neither. */
static int read_number(const char *path, uint64_t *value)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char text[64] = "";
    int ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    if (!strncmp(text, "max", 3)) { *value = UINT64_MAX; return 0; }
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text) return -1;
    *value = v;
    return 0;
}

static int read_meminfo(const char *root, uint64_t *bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int found = -1;
    unsigned long long kib;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) { *bytes = (uint64_t)kib * 1024; found = 0; break; }
    fclose(f);
    return found;
}

/* One cgroup's room: its limit less its use, where both files exist. */
static int cgroup_room(const char *dir, const char *limit_file, const char *usage_file, uint64_t *room)
{
    char path[4400];
    uint64_t limit, usage;
    snprintf(path, sizeof path, "%s/%s", dir, limit_file);
    if (read_number(path, &limit) != 0) return -1;
    snprintf(path, sizeof path, "%s/%s", dir, usage_file);
    if (read_number(path, &usage) != 0) return -1;
    *room = limit > usage ? limit - usage : 0;
    return 0;
}

/* Lowers *bytes to the least room of the cgroups from `cgroup` (a path
 * like /slurm/uid_1/job_2/step_0) up to the hierarchy's top, under mount
 * point `mount`; names the tightest in source. */
static void cap_by_cgroups(const char *mount, const char *cgroup, int v2, uint64_t *bytes, char *source,
                           size_t source_len)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s", mount, strcmp(cgroup, "/") ? cgroup : "");
    const size_t top = strlen(mount);
    for (;;) {
        uint64_t room;
        if (cgroup_room(dir, v2 ? "memory.max" : "memory.limit_in_bytes",
                        v2 ? "memory.current" : "memory.usage_in_bytes", &room) == 0 && room < *bytes) {
            *bytes = room;
            snprintf(source, source_len, "the limit less the use of cgroup %s", dir);
        }
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < top) break;
        *slash = '\0';
    }
}

int hep_memory_available(const char *root, uint64_t *bytes, char *source, size_t source_len)
{
    if (read_meminfo(root, bytes) != 0) return -1;
    snprintf(source, source_len, "MemAvailable in %s/proc/meminfo", root);
    char path[4096], line[4096];
    snprintf(path, sizeof path, "%s/proc/self/cgroup", root);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *controllers = strchr(line, ':'), *cgroup = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!cgroup) continue;
        *cgroup++ = '\0';
        *controllers++ = '\0';   /* line: the hierarchy's number */
        char mount[4096];
        if (!strcmp(line, "0") && !*controllers) {   /* cgroup v2: alone, or beside v1 under unified/ */
            snprintf(mount, sizeof mount, "%s/sys/fs/cgroup", root);
            cap_by_cgroups(mount, cgroup, 1, bytes, source, source_len);
            snprintf(mount, sizeof mount, "%s/sys/fs/cgroup/unified", root);
            cap_by_cgroups(mount, cgroup, 1, bytes, source, source_len);
        } else if (!strcmp(controllers, "memory") || strstr(controllers, "memory,") ||
                   (strlen(controllers) > 7 && !strcmp(controllers + strlen(controllers) - 7, ",memory"))) {
            snprintf(mount, sizeof mount, "%s/sys/fs/cgroup/%s", root, controllers);
            cap_by_cgroups(mount, cgroup, 0, bytes, source, source_len);
        }
    }
    fclose(f);
    return 0;
}

/* A rank's bytes for a batch: the model's buffers and the input pipeline's. */
static uint64_t batch_bytes(int batch, int threads, hep_data_bytes_fn data_bytes, const void *ctx)
{
    return (uint64_t)hep_model_bytes(batch, threads) + (uint64_t)data_bytes(ctx, batch);
}

/* The largest batch below `batch` whose bytes fit in `room` (0 if none). */
static int largest_batch(int batch, int threads, hep_data_bytes_fn data_bytes, const void *ctx, uint64_t room)
{
    int lo = 0, hi = batch;   /* batch_bytes(hi) > room */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (batch_bytes(mid, threads, data_bytes, ctx) <= room) lo = mid; else hi = mid;
    }
    return lo;
}

/* The node's available memory, or a made-up amount for tests; -1 when
 * unknown (no /proc). */
static int node_available(uint64_t *bytes, char *source, size_t source_len)
{
    const char *test_mib = getenv("HEPCNN_TEST_MEMORY_MIB");
    if (test_mib) {
        snprintf(source, source_len, "HEPCNN_TEST_MEMORY_MIB");
        *bytes = (uint64_t)strtoull(test_mib, NULL, 10) << 20;
        return 0;
    }
    return hep_memory_available("", bytes, source, source_len);
}

void hep_check_model_memory(int batch, int threads, hep_data_bytes_fn data_bytes, const void *ctx, MPI_Comm comm,
                            const char *source_of_batch, const char *batch_key)
{
    const char *check = getenv("HEPCNN_MEMORY_CHECK");
    if (check && !strcmp(check, "0")) return;
    char source[4600];
    uint64_t available;
    if (node_available(&available, source, sizeof source) != 0) return;
    MPI_Comm node;
    int ranks_here = 1;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS ||
        MPI_Comm_size(node, &ranks_here) != MPI_SUCCESS || MPI_Comm_free(&node) != MPI_SUCCESS)
        hep_fatal("MPI_Comm_split_type (the ranks on this node, for the memory check) failed");
    /* 95%: the rest of the process (code, libxsmm's kernels, MPI, HDF5) needs some too */
    const uint64_t share = available / (uint64_t)ranks_here, usable = share / 20 * 19;
    const uint64_t need = batch_bytes(batch, threads, data_bytes, ctx);
    if (need <= usable) return;
    const int fits = largest_batch(batch, threads, data_bytes, ctx, usable);
    char advice[256];
    if (fits > 0)
        snprintf(advice, sizeof advice, "lower %s so that a rank's batch is at most %d", batch_key, fits);
    else
        snprintf(advice, sizeof advice, "not even one image fits");
    hep_fatal("%s: %s gives a batch of %d images per rank, which needs %.1f MiB (the model's buffers for %d thread%s "
              "and the input's), more than 95%% of the %.1f MiB this rank may use (%s%s): %s "
              "(HEPCNN_MEMORY_CHECK=0 skips this check)",
              source_of_batch, batch_key, batch, need / 1048576.0, threads, threads == 1 ? "" : "s", share / 1048576.0, source,
              ranks_here > 1 ? ", shared by the ranks on this node" : "", advice);
}
