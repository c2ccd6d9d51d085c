/* Start-up ISA check. This file alone is compiled for baseline x86-64 (see
 * the Makefile), and its constructor runs before main, MPI_Init and any
 * arch-compiled code: a binary built for AVX-512 started on an AVX2-only CPU
 * exits 1 with a message naming the missing extensions and the build to use
 * instead, never with SIGILL.
 *
 * What the build needs comes from the generated model as plain data
 * (hep_model_isa, runtime/model.h): the extensions the compiler may use
 * under the arch's flags, as gen/isa.lua read them from the compiler. Names
 * are Linux's /proc/cpuinfo flags. */
#define _POSIX_C_SOURCE 200809L   /* gethostname */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <model.h>

enum { EAX, EBX, ECX, EDX };
enum { XCR0_AVX = 0x6, XCR0_AVX512 = 0xe6 };   /* OS saves SSE+AVX (+opmask, zmm) state */

typedef struct {
    const char *flag;
    unsigned leaf, subleaf;
    int reg, bit;
    unsigned xcr0;        /* register state the OS must save, 0: none */
} cpu_flag;

static const cpu_flag flags[] = {
    { "pni", 1, 0, ECX, 0, 0 },              { "ssse3", 1, 0, ECX, 9, 0 },
    { "fma", 1, 0, ECX, 12, XCR0_AVX },      { "cx16", 1, 0, ECX, 13, 0 },
    { "sse4_1", 1, 0, ECX, 19, 0 },          { "sse4_2", 1, 0, ECX, 20, 0 },
    { "movbe", 1, 0, ECX, 22, 0 },           { "popcnt", 1, 0, ECX, 23, 0 },
    { "avx", 1, 0, ECX, 28, XCR0_AVX },      { "f16c", 1, 0, ECX, 29, XCR0_AVX },
    { "bmi1", 7, 0, EBX, 3, 0 },             { "avx2", 7, 0, EBX, 5, XCR0_AVX },
    { "bmi2", 7, 0, EBX, 8, 0 },             { "avx512f", 7, 0, EBX, 16, XCR0_AVX512 },
    { "avx512dq", 7, 0, EBX, 17, XCR0_AVX512 },   { "avx512ifma", 7, 0, EBX, 21, XCR0_AVX512 },
    { "avx512pf", 7, 0, EBX, 26, XCR0_AVX512 },   { "avx512er", 7, 0, EBX, 27, XCR0_AVX512 },
    { "avx512cd", 7, 0, EBX, 28, XCR0_AVX512 },   { "avx512bw", 7, 0, EBX, 30, XCR0_AVX512 },
    { "avx512vl", 7, 0, EBX, 31, XCR0_AVX512 },   { "avx512vbmi", 7, 0, ECX, 1, XCR0_AVX512 },
    { "avx512_vbmi2", 7, 0, ECX, 6, XCR0_AVX512 }, { "gfni", 7, 0, ECX, 8, 0 },
    { "avx512_vnni", 7, 0, ECX, 11, XCR0_AVX512 }, { "avx512_bitalg", 7, 0, ECX, 12, XCR0_AVX512 },
    { "avx512_vpopcntdq", 7, 0, ECX, 14, XCR0_AVX512 }, { "avx512_fp16", 7, 0, EDX, 23, XCR0_AVX512 },
    { "avx_vnni", 7, 1, EAX, 4, XCR0_AVX },  { "avx512_bf16", 7, 1, EAX, 5, XCR0_AVX512 },
    { "lahf_lm", 0x80000001, 0, ECX, 0, 0 }, { "abm", 0x80000001, 0, ECX, 5, 0 },
    { "xop", 0x80000001, 0, ECX, 11, XCR0_AVX }, { "fma4", 0x80000001, 0, ECX, 16, XCR0_AVX },
    { "tbm", 0x80000001, 0, ECX, 21, 0 },
};

static unsigned long long xcr0(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;   /* no OSXSAVE: xgetbv would fault */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* 1: the CPU (and OS) support the flag; 0: not; -1: a name this table lacks. */
static int cpu_has(const char *flag, size_t len)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const cpu_flag *f = &flags[i];
        if (strlen(f->flag) != len || strncmp(f->flag, flag, len) != 0) continue;
        unsigned r[4] = { 0 };
        if (__get_cpuid_max(f->leaf & 0x80000000u, NULL) < f->leaf) return 0;
        __cpuid_count(f->leaf, f->subleaf, r[EAX], r[EBX], r[ECX], r[EDX]);
        if (!(r[f->reg] & (1u << f->bit))) return 0;
        return (xcr0() & f->xcr0) == f->xcr0;
    }
    return -1;
}

/* Appends the flags of the space-separated list the CPU lacks to missing;
 * returns how many. */
static int lacking(const char *list, size_t list_len, char *missing, size_t cap)
{
    int n = 0;
    for (size_t i = 0; i < list_len;) {
        size_t len = strcspn(list + i, " ;");
        if (len > list_len - i) len = list_len - i;
        if (len > 0 && cpu_has(list + i, len) != 1) {
            size_t used = strlen(missing);
            snprintf(missing + used, cap - used, "%s%.*s", used ? " " : "", (int)len, list + i);
            n++;
        }
        i += len + 1;
    }
    return n;
}

static void cpu_name(char *out, size_t cap)
{
    unsigned r[12];
    snprintf(out, cap, "this CPU");
    if (__get_cpuid_max(0x80000000u, NULL) < 0x80000004u) return;
    for (unsigned i = 0; i < 3; i++) __cpuid(0x80000002u + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
    char brand[49];
    memcpy(brand, r, 48);
    brand[48] = '\0';
    const char *b = brand;
    while (*b == ' ') b++;
    if (*b) snprintf(out, cap, "this CPU (%s)", b);
}

/* The named archs whose builds this CPU can run ("skx and hsw"), from the
 * alternatives "knl:flags;skx:flags;hsw:flags". */
static void runnable_archs(const char *alternatives, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *p = alternatives; *p;) {
        size_t entry = strcspn(p, ";"), name = strcspn(p, ":");
        if (name < entry) {
            char scratch[512] = "";
            if (lacking(p + name + 1, entry - name - 1, scratch, sizeof scratch) == 0) {
                size_t used = strlen(out);
                snprintf(out + used, cap - used, "%sARCH=%.*s", used ? " or " : "", (int)name, p);
            }
        }
        p += entry + (p[entry] == ';');
    }
}

/* One message per node is enough when every rank of a job refuses. */
static int first_on_node(void)
{
    const char *vars[] = { "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v) return strcmp(v, "0") == 0;
    }
    return 1;
}

__attribute__((constructor(101))) static void hep_isa_guard(int argc, char **argv)
{
    const hep_isa_requirement *req = &hep_model_isa;
    char missing[1024] = "";
    if (lacking(req->features, strlen(req->features), missing, sizeof missing) == 0) return;
    if (first_on_node()) {
        char cpu[80], host[64] = "", archs[256];
        cpu_name(cpu, sizeof cpu);
        if (getenv("SLURM_JOB_ID") || getenv("OMPI_COMM_WORLD_SIZE")) {
            gethostname(host, sizeof host - 1);
            host[sizeof host - 1] = '\0';
        }
        runnable_archs(req->alternatives, archs, sizeof archs);
        fprintf(stderr, "hepcnn: error: %s%s%s is built for %s (%s) and uses CPU extensions that %s does not have: %s\n",
                host, host[0] ? ": " : "", argc > 0 ? argv[0] : req->network, req->arch, req->arch_description, cpu,
                missing);
        if (archs[0])
            fprintf(stderr, "hepcnn: build for this CPU with:  make NET=%s %s   (or ARCH=native, this machine's own)\n",
                    req->network, archs);
        else
            fprintf(stderr, "hepcnn: build for this CPU with:  make NET=%s ARCH=native\n", req->network);
    }
    fflush(stderr);
    _exit(1);   /* not exit(): no library destructor runs after a constructor that never started */
}
