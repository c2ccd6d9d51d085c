/* libFuzzer target for the run configuration: the input is a JSON config
 * file, optionally followed by NUL-separated command-line arguments. Every
 * input must either load (and then pass or fail the network check) or end
 * in hep_fatal with a message; the sanitizers catch everything else.
 * hep_fatal and hep_xmalloc are replaced here so that a rejected input
 * returns to the fuzzer instead of exiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"

static jmp_buf rejected;
static char config_path[64];

void hep_fatal(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!msg[0]) abort();          /* every rejection must say why */
    longjmp(rejected, 1);
}

void *hep_xmalloc(size_t bytes, const char *what)
{
    (void)what;
    void *p = malloc(bytes ? bytes : 1);
    if (!p) abort();
    return p;
}

/* cJSON's blocks (through its hooks) while one input is read: a rejection
 * longjmps out of hep_fatal past config.c's cJSON_Delete (the real
 * hep_fatal exits), so what is still held when the input is done is freed
 * here. Leaked, rejected inputs (with the file's text, which config.c now
 * frees before it can fail) filled the fuzzer's 12 GB in about 6 minutes. */
enum { MOST_HELD = 1 << 16 };
static void *held[MOST_HELD];
static int n_held;

static void *held_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p || n_held == MOST_HELD) abort();
    return held[n_held++] = p;
}

static void held_free(void *p)
{
    for (int i = n_held - 1; i >= 0; i--)
        if (held[i] == p) {
            held[i] = held[--n_held];
            break;
        }
    free(p);
}

static void free_held(void)
{
    while (n_held > 0) free(held[--n_held]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!config_path[0]) {
        snprintf(config_path, sizeof config_path, "/tmp/hepcnn-fuzz-config-%d.json", (int)getpid());
        cJSON_InitHooks(&(cJSON_Hooks){ held_malloc, held_free });
    }
    size_t json_len = strnlen((const char *)data, size);
    FILE *f = fopen(config_path, "wb");
    if (!f) abort();
    if (fwrite(data, 1, json_len, f) != json_len) abort();
    fclose(f);

    /* argv: the program name, --config, then the NUL-separated rest */
    char *rest = malloc(size - json_len + 1);
    memcpy(rest, data + json_len, size - json_len);
    rest[size - json_len] = '\0';
    char arg_config[96];
    snprintf(arg_config, sizeof arg_config, "--config=%s", config_path);
    char *argv[34] = { "hepcnn", arg_config };
    int argc = 2;
    for (char *p = rest + 1, *end = rest + (size - json_len); p < end && argc < 34; p += strlen(p) + 1)
        if (*p) argv[argc++] = p;

    static hep_config cfg;
    if (!setjmp(rejected)) {
        hep_config_load(&cfg, argc, argv);
        char *json = hep_config_to_json(&cfg);
        if (!json) abort();
        cJSON_free(json);
        if (!setjmp(rejected)) hep_config_check_network(&cfg, config_path, hep_model_info_get());
    }
    free(rest);
    free_held();
    return 0;
}
