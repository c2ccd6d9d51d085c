/* The model's arena and the runtime's large buffers (hep_xmalloc_large) in
 * transparent huge pages: creates a model and a buffer, then reads the
 * kernel's account of the mappings that hold them (/proc/self/smaps) and
 * fails unless some of each is in 2 MiB pages. Hosts whose THP setting is
 * "madvise" (Debian's default) give them only to a mapping that asks, so
 * there this fails if hep_model_create or hep_xmalloc_large stops asking
 * (madvise MADV_HUGEPAGE). Where the setting is "never" there are none to
 * find: tests/test_kernels.sh reads the setting and skips the check there.
 * Usage: test_arena [batch] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <model.h>
#include <util.h>

/* The size and the AnonHugePages (KiB) of the mapping holding `addr`; -1
 * when smaps cannot be read or holds no such mapping. */
static int mapping_of(const void *addr, uint64_t *size_kib, uint64_t *huge_kib)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) { perror("test_arena: /proc/self/smaps"); return -1; }
    const uintptr_t a = (uintptr_t)addr;
    char line[512];
    int inside = 0, found = -1;
    while (fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        unsigned long long kib;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
            if (inside) break;
            inside = lo <= a && a < hi;
        } else if (inside && sscanf(line, "Size: %llu kB", &kib) == 1) {
            *size_kib = kib;
        } else if (inside && sscanf(line, "AnonHugePages: %llu kB", &kib) == 1) {
            *huge_kib = kib;
            found = 0;
        }
    }
    fclose(f);
    if (found) fprintf(stderr, "test_arena: no mapping in /proc/self/smaps holds %p\n", addr);
    return found;
}

/* 0 when the mapping holding `p` (`bytes` of `what`) has huge pages, else
 * 1; prints what it found. Not all of it need be: the kernel may find too
 * few free 2 MiB frames. */
static int check_huge(const char *what, const void *p, size_t bytes)
{
    uint64_t size_kib = 0, huge_kib = 0;
    if (mapping_of(p, &size_kib, &huge_kib)) return 1;
    printf("%s: %zu KiB; its mapping %" PRIu64 " KiB, %" PRIu64 " KiB of it in huge pages%s\n",
           what, bytes / 1024, size_kib, huge_kib, huge_kib ? "" : ": FAIL, none");
    return huge_kib == 0;
}

int main(int argc, char **argv)
{
    const int batch = argc > 1 ? atoi(argv[1]) : 16, threads = omp_get_max_threads();
    char err[256], what[128];
    hep_model *m = hep_model_create(batch, threads, err, sizeof err);
    if (!m) { fprintf(stderr, "test_arena: %s\n", err); return 1; }
    snprintf(what, sizeof what, "%s's arena, batch %d", hep_model_info_get()->network, batch);
    int failed = check_huge(what, hep_model_params(m), hep_model_bytes(batch, threads));
    hep_model_destroy(m);
    /* The runtime's large buffers (Adam's moments, the loader's), touched as
     * their users touch them. */
    const size_t bytes = 32u << 20;
    float *buf = hep_xmalloc_large(bytes, "the test buffer");
    memset(buf, 0, bytes);
    failed += check_huge("hep_xmalloc_large", buf, bytes);
    free(buf);
    return failed ? 1 : 0;
}
