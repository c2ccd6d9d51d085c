/* hep_memory_available (runtime/memory.c) on made-up /proc and /sys trees:
 * MemAvailable alone, cgroup v2 limits nested as SLURM nests them, cgroup
 * v1 (alone and with co-mounted controllers), and no /proc at all.
 *
 * usage: test_memory SCRATCH_DIR */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "util.h"

/* memory.c asks the model for its bytes only in hep_check_model_memory,
 * which this test does not call. */
size_t hep_model_bytes(int batch, int threads) { return (size_t)batch * (size_t)threads; }

static void put(const char *root, const char *rel, const char *text)
{
    char path[4096], dir[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    if (hep_mkdirs(dir) != 0) { perror(dir); exit(2); }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) { perror(path); exit(2); }
}

/* A cgroup's limit and use: v2's memory.max and memory.current, or v1's
 * memory.limit_in_bytes and memory.usage_in_bytes, in folder `dir`. */
static void put_cgroup(const char *root, const char *dir, int v2, const char *limit, const char *usage)
{
    char rel[1024];
    snprintf(rel, sizeof rel, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
    put(root, rel, limit);
    snprintf(rel, sizeof rel, "%s/%s", dir, v2 ? "memory.current" : "memory.usage_in_bytes");
    put(root, rel, usage);
}

static int failures;

/* Expects `want` bytes and a source containing `source_has` (NULL: -1). */
static void expect(const char *root, const char *what, long long want, const char *source_has)
{
    uint64_t bytes = 0;
    char source[4600] = "";
    int rc = hep_memory_available(root, &bytes, source, sizeof source);
    int ok = source_has ? rc == 0 && (long long)bytes == want && strstr(source, source_has) != NULL : rc == -1;
    printf("%s %-44s rc %d, %llu bytes, from %s\n", ok ? "ok  " : "FAIL", what, rc, (unsigned long long)bytes, source);
    failures += !ok;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: test_memory SCRATCH_DIR\n"); return 2; }
    char root[4096];
    const long long GIB = 1LL << 30;

    snprintf(root, sizeof root, "%s/plain", argv[1]);
    put(root, "proc/meminfo", "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n");
    expect(root, "MemAvailable, no cgroup file", 8000000LL * 1024, "MemAvailable in");

    /* v2: the job's limit (4 GiB, 1 GiB used) is tighter than the node's
     * and the step's ("max"); the slice above has a looser one */
    snprintf(root, sizeof root, "%s/v2", argv[1]);
    put(root, "proc/meminfo", "MemAvailable:    8000000 kB\n");
    put(root, "proc/self/cgroup", "0::/slurm/job_1/step_0\n");
    put_cgroup(root, "sys/fs/cgroup/slurm", 1, "6442450944\n", "2147483648\n");
    put_cgroup(root, "sys/fs/cgroup/slurm/job_1", 1, "4294967296\n", "1073741824\n");
    put_cgroup(root, "sys/fs/cgroup/slurm/job_1/step_0", 1, "max\n", "5\n");
    expect(root, "cgroup v2, the job's limit the tightest", 3 * GIB, "cgroup");
    expect(root, "cgroup v2, the source names the job's cgroup", 3 * GIB, "/slurm/job_1");

    /* a limit already exceeded leaves nothing */
    put_cgroup(root, "sys/fs/cgroup/slurm/job_1/step_0", 1, "100\n", "200\n");
    expect(root, "cgroup v2, use above the limit: 0", 0, "step_0");

    /* v1 beside other controllers; the memory one alone, then co-mounted */
    snprintf(root, sizeof root, "%s/v1", argv[1]);
    put(root, "proc/meminfo", "MemAvailable:    8000000 kB\n");
    put(root, "proc/self/cgroup", "5:cpu,cpuacct:/ignored\n4:memory:/job_7\n0::/\n");
    put_cgroup(root, "sys/fs/cgroup/memory", 0, "9223372036854771712\n", "100\n");
    put_cgroup(root, "sys/fs/cgroup/memory/job_7", 0, "2147483648\n", "536870912\n");
    put_cgroup(root, "sys/fs/cgroup/cpu,cpuacct/ignored", 0, "1\n", "0\n");
    expect(root, "cgroup v1 memory controller", 3 * GIB / 2, "memory/job_7");

    snprintf(root, sizeof root, "%s/v1co", argv[1]);
    put(root, "proc/meminfo", "MemAvailable:    8000000 kB\n");
    put(root, "proc/self/cgroup", "3:memory,hugetlb:/job_8\n");
    put_cgroup(root, "sys/fs/cgroup/memory,hugetlb/job_8", 0, "1073741824\n", "0\n");
    expect(root, "cgroup v1 memory co-mounted with hugetlb", GIB, "memory,hugetlb/job_8");

    snprintf(root, sizeof root, "%s/none", argv[1]);
    expect(root, "no /proc/meminfo", 0, NULL);

    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
