/* CPU feature check (see cpu.h). This file is compiled with the same -march
 * flags as the generated model, so the compiler's own feature macros say
 * exactly which instructions the binary may contain. */
#include "cpu.h"

#include <stdio.h>
#include <string.h>

int hep_cpu_check(const char *arch, char *msg, unsigned long len)
{
    char missing[256] = "";
    __builtin_cpu_init();
#define NEED(macro_defined, name)                                                  \
    if ((macro_defined) && !__builtin_cpu_supports(name)) {                        \
        strncat(missing, " " name, sizeof missing - strlen(missing) - 1);          \
    }
#ifdef __AVX__
    NEED(1, "avx")
#endif
#ifdef __AVX2__
    NEED(1, "avx2")
#endif
#ifdef __FMA__
    NEED(1, "fma")
#endif
#ifdef __AVX512F__
    NEED(1, "avx512f")
#endif
#ifdef __AVX512CD__
    NEED(1, "avx512cd")
#endif
#ifdef __AVX512BW__
    NEED(1, "avx512bw")
#endif
#ifdef __AVX512DQ__
    NEED(1, "avx512dq")
#endif
#ifdef __AVX512VL__
    NEED(1, "avx512vl")
#endif
#ifdef __AVX512ER__
    NEED(1, "avx512er")
#endif
#ifdef __AVX512PF__
    NEED(1, "avx512pf")
#endif
#undef NEED
    if (missing[0]) {
        snprintf(msg, len, "this CPU lacks%s, which the %s build needs; build for this machine with "
                 "'make ARCH=native' (or ARCH=hsw for AVX2-only CPUs)", missing, arch);
        return -1;
    }
    return 0;
}
