/* This CPU's tuning-file key, and the note when a build's tuning section is
 * another CPU's (cpu_host.h). */
#define _POSIX_C_SOURCE 200809L
#include "cpu_host.h"

#include <stdio.h>
#include <string.h>

/* The value of a /proc/cpuinfo line "key<tabs>: value" whose key is
 * exactly `key` ("model", not "model name"), or NULL. */
static const char *field_value(const char *line, const char *key)
{
    const size_t n = strlen(key);
    if (strncmp(line, key, n) != 0) return NULL;
    const char *p = line + n;
    while (*p == ' ' || *p == '\t') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Copies the first word of value (up to whitespace) into out. */
static void first_word(const char *value, char *out, size_t len)
{
    size_t n = strcspn(value, " \t\r\n");
    if (n >= len) n = len - 1;
    memcpy(out, value, n);
    out[n] = '\0';
}

int hep_cpu_host_key(char *buf, size_t len)
{
    char vendor[64] = "", family[16] = "", model[16] = "", line[512];
    if (len) buf[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    while (!(vendor[0] && family[0] && model[0]) && fgets(line, sizeof line, f)) {
        const char *v;
        if (!vendor[0] && (v = field_value(line, "vendor_id"))) first_word(v, vendor, sizeof vendor);
        else if (!family[0] && (v = field_value(line, "cpu family"))) first_word(v, family, sizeof family);
        else if (!model[0] && (v = field_value(line, "model"))) first_word(v, model, sizeof model);
    }
    fclose(f);
    if (!(vendor[0] && family[0] && model[0])) return -1;
    const int n = snprintf(buf, len, "%s family %s model %s", vendor, family, model);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int hep_note_tuning_host(const hep_model_info *info)
{
    char here[128];
    if (!info->tuning_host || hep_cpu_host_key(here, sizeof here) != 0 || strcmp(here, info->tuning_host) == 0)
        return 0;
    printf("hepcnn: note: this build's tuning came from %s, measured on another CPU than this one (%s), "
           "and may run slower here: make tune NET=%s ARCH=%s on this machine measures its own\n",
           info->tuning_section ? info->tuning_section : info->tuning_host, here, info->network, info->arch);
    return 1;
}
