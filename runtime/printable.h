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
#include <string.h>

/* The bytes of the UTF-8 sequence at p, or 0 where none starts. */
static inline int hep_utf8_length(const unsigned char *p)
{
    int n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;   /* also stops at the terminating NUL */
    return n;
}

/* text made printable into out (at most cap bytes with its NUL; what does
 * not fit is cut at a whole character); returns the length written. */
static inline size_t hep_printable_copy(char *out, size_t cap, const char *text)
{
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        const int n = hep_utf8_length(p);
        const int printable = n > 1 || (n == 1 && (*p >= 0x20 || *p == '\n' || *p == '\t') && *p != 0x7f);
        char hex[5];
        if (!printable) snprintf(hex, sizeof hex, "\\x%02x", *p);
        const size_t bytes = printable ? (size_t)n : 4;
        if (len + bytes >= cap) break;
        memcpy(out + len, printable ? (const char *)p : hex, bytes);
        len += bytes;
        p += printable ? n : 1;
    }
    out[len] = '\0';
    return len;
}

/* One error line on stderr: `prefix`, then the message made printable,
 * in one write: stderr is unbuffered, and the ranks of an MPI job that all
 * meet the same error would otherwise mix their lines byte by byte. */
static inline void hep_put_error(const char *prefix, const char *fmt, va_list ap)
{
    char text[16384];   /* on the stack: this also reports running out of memory */
    char line[4 * sizeof text + 64];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t len = (size_t)snprintf(line, sizeof line - 1, "%s", prefix);
    if (len > sizeof line - 2) len = sizeof line - 2;
    len += hep_printable_copy(line + len, sizeof line - 1 - len, text);
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

#endif
