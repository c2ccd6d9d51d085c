/* Text from a damaged file, printed so that it cannot garble a terminal.
 * An error can quote a string read from a damaged file (a checkpoint's
 * network name or layer table, an HDF5 filter's name): its control
 * characters (but newline and tab) and bytes that are not UTF-8 go out as
 * \xNN; valid UTF-8 passes unchanged. Used by hep_fatal (util.c) and by
 * hepcnn-export, which has no runtime. */
#ifndef HEP_PRINTABLE_H
#define HEP_PRINTABLE_H

#include <stdarg.h>
#include <stdio.h>

/* The bytes of the UTF-8 sequence at p, or 0 where none starts. */
static inline int hep_utf8_length(const unsigned char *p)
{
    int n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;   /* also stops at the terminating NUL */
    return n;
}

static inline void hep_put_printable(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        const int n = hep_utf8_length(p);
        if (n > 1 || (n == 1 && (*p >= 0x20 || *p == '\n' || *p == '\t') && *p != 0x7f)) {
            fwrite(p, 1, (size_t)n, out);
            p += n;
        } else {
            fprintf(out, "\\x%02x", *p++);
        }
    }
}

/* One error line on stderr: `prefix`, then the message made printable. */
static inline void hep_put_error(const char *prefix, const char *fmt, va_list ap)
{
    char text[16384];   /* on the stack: this also reports running out of memory */
    vsnprintf(text, sizeof text, fmt, ap);
    fputs(prefix, stderr);
    hep_put_printable(stderr, text);
    fputc('\n', stderr);
}

#endif
