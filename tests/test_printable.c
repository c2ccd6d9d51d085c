/* An error line (runtime/printable.h) against what it must be: one write
 * per line (the ranks of an MPI job that meet the same error share one
 * stderr, unbuffered), valid UTF-8 unchanged, control characters and bytes
 * that are not UTF-8 as \xNN, and an overlong message cut. stderr is
 * replaced by a stream that records each write. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"

typedef struct {
    int writes;
    size_t last_len;
    char last[80000];
} recorder;

static ssize_t record(void *cookie, const char *buf, size_t size)
{
    recorder *r = cookie;
    r->writes++;
    r->last_len = size < sizeof r->last ? size : sizeof r->last - 1;
    memcpy(r->last, buf, r->last_len);
    r->last[r->last_len] = '\0';
    return (ssize_t)size;
}

static void put_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hep_put_error("hepcnn: error: ", fmt, ap);
    va_end(ap);
}

static int failures;

static void expect_line(recorder *r, const char *what, const char *want)
{
    if (r->writes != 1 || strcmp(r->last, want) != 0) {
        printf("FAIL %s: %d write(s), last %zu bytes '%s', wanted one write '%s'\n", what, r->writes, r->last_len,
               r->last, want);
        failures++;
    } else {
        printf("ok   %s\n", what);
    }
    r->writes = 0;
}

int main(void)
{
    static recorder r;
    FILE *out = fopencookie(&r, "w", (cookie_io_functions_t){ .write = record });
    if (!out || setvbuf(out, NULL, _IONBF, 0) != 0) { perror("fopencookie"); return 1; }
    stderr = out;   /* hep_put_error writes to stderr, unbuffered as the real one is */

    put_error("file %s: dataset '%s' row %d", "train_000.h5", "data", 5);
    expect_line(&r, "a plain message", "hepcnn: error: file train_000.h5: dataset 'data' row 5\n");
    put_error("network name '%s'", "h\xc3\xa9p\x1b[2J\x7f");
    expect_line(&r, "UTF-8 kept, ESC and DEL as \\xNN", "hepcnn: error: network name 'h\xc3\xa9p\\x1b[2J\\x7f'\n");
    put_error("bytes %s", "\xff\xc3(\xe2\x82");
    expect_line(&r, "bytes that are not UTF-8 (and a cut sequence) as \\xNN",
                "hepcnn: error: bytes \\xff\\xc3(\\xe2\\x82\n");
    put_error("two\tlines\nin one");
    expect_line(&r, "tab and newline kept", "hepcnn: error: two\tlines\nin one\n");

    /* A message past the 16 KiB buffer: cut at its 16383rd byte, and still
     * one write. */
    char *longest = malloc(20001), *want = malloc(20100);
    memset(longest, 'a', 20000);
    longest[20000] = '\0';
    put_error("%s", longest);
    snprintf(want, 20100, "hepcnn: error: %.16383s\n", longest);
    expect_line(&r, "an overlong message, cut at 16383 bytes, in one write", want);
    free(longest);
    free(want);

    /* an escape that would not fit whole is left out, not cut */
    char small[8];
    size_t n = hep_printable_copy(small, sizeof small, "abcd\x01" "e");
    if (n != 4 || strcmp(small, "abcd") != 0) {
        printf("FAIL a copy that fills its buffer: %zu bytes '%s', wanted 'abcd'\n", n, small);
        failures++;
    } else {
        printf("ok   a copy that fills its buffer stops before the piece that does not fit\n");
    }
    fclose(out);
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
