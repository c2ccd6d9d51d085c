/* TensorBoard event files (see summary.h). */
#define _POSIX_C_SOURCE 200809L
#include "summary.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "protobuf.h"
#include "util.h"

#define FILE_PREFIX "events.out.tfevents."
#define FILE_SUFFIX ".hepcnn"

/* CRC-32C (Castagnoli), bitwise: records are a few dozen bytes. */
static uint32_t crc32c(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* TFRecord's masked CRC: a CRC of data that contains CRCs is still useful. */
static uint32_t masked_crc(const unsigned char *p, size_t n)
{
    uint32_t crc = crc32c(p, n);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

static void put_le(unsigned char *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) out[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)in[i] << (8 * i);
    return v;
}

static double wall_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

/* One TFRecord: the event's length, its masked CRC, the event, its CRC. */
static void write_record(hep_summary *s, const hep_pb *event)
{
    if (event->failed) hep_fatal("out of memory building an event for %s", s->file.path);
    const size_t n = 12 + event->len + 4;
    unsigned char *record = hep_xmalloc(n, "a TensorBoard event");
    put_le(record, event->len, 8);
    put_le(record + 8, masked_crc(record, 8), 4);
    memcpy(record + 12, event->data, event->len);
    put_le(record + 12 + event->len, masked_crc(event->data, event->len), 4);
    hep_record_file_write(&s->file, record, n);
    free(record);
}

/* A varint at p[*i] (n bytes in all); *i moves past it. */
static uint64_t read_varint(const unsigned char *p, size_t n, size_t *i)
{
    uint64_t v = 0;
    for (int shift = 0; *i < n && shift < 64; shift += 7) {
        unsigned char byte = p[(*i)++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) break;
    }
    return v;
}

/* The step of an Event (field 2), 0 when it has none (the file_version event). */
static long event_step(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t key = read_varint(p, n, &i);
        switch (key & 7) {
        case 0: {
            uint64_t v = read_varint(p, n, &i);
            if (key >> 3 == 2) return (long)v;
            break;
        }
        case 1: i += 8; break;
        case 2: i += read_varint(p, n, &i); break;
        case 5: i += 4; break;
        default: return 0;
        }
    }
    return 0;
}

/* Byte offset just after the last whole, intact record with step <= limit:
 * a record cut by a kill, or one of a later step, ends the kept part. */
static long kept_length(FILE *f, long limit)
{
    long keep = 0;
    unsigned char head[12], tail[4];
    while (fread(head, 1, 12, f) == 12 && get_le(head + 8, 4) == masked_crc(head, 8)) {
        uint64_t len = get_le(head, 8);
        if (len > (1u << 20)) break;
        unsigned char *data = malloc(len ? len : 1);
        int whole = data && fread(data, 1, len, f) == len && fread(tail, 1, 4, f) == 4 &&
                    get_le(tail, 4) == masked_crc(data, len);
        long step = whole ? event_step(data, len) : 0;
        free(data);
        if (!whole || step > limit) break;
        keep = ftell(f);
    }
    return keep;
}

static int find_existing(const char *dir, char *path, size_t len)
{
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (!strncmp(e->d_name, FILE_PREFIX, strlen(FILE_PREFIX)) && n > strlen(FILE_SUFFIX) &&
            !strcmp(e->d_name + n - strlen(FILE_SUFFIX), FILE_SUFFIX)) {
            snprintf(path, len, "%s/%s", dir, e->d_name);
            found = 1;
        }
    }
    if (d) closedir(d);
    return found;
}

static const char *const EVENTS_LOST = "TensorBoard's curves will miss the steps it cannot write";

void hep_summary_open(hep_summary *s, const char *outputpath, long resumed_step)
{
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/logs", outputpath);
    if (hep_mkdirs(dir) != 0) hep_fatal("cannot create %s: %s", dir, strerror(errno));
    if (find_existing(dir, path, sizeof path)) {
        FILE *f = fopen(path, "rb");
        if (!f) hep_fatal("cannot open the TensorBoard event file %s: %s", path, strerror(errno));
        const long keep = kept_length(f, resumed_step);
        fclose(f);
        if (hep_record_file_open(&s->file, path, keep, EVENTS_LOST) != 0)
            hep_fatal("cannot cut the TensorBoard event file %s at step %ld: %s", path, resumed_step,
                      strerror(errno));
        if (keep > 0) return;
    } else {
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(path, sizeof path, "%s/" FILE_PREFIX "%ld.%s" FILE_SUFFIX, dir, (long)wall_time(), host);
        if (hep_record_file_open(&s->file, path, 0, EVENTS_LOST) != 0)
            hep_fatal("cannot create the TensorBoard event file %s: %s", path, strerror(errno));
    }
    hep_pb event = { 0 };
    hep_pb_double(&event, 1, wall_time());
    hep_pb_string(&event, 3, "brain.Event:2");   /* file_version: the reader's format check */
    write_record(s, &event);
    hep_pb_free(&event);
}

void hep_summary_scalars(hep_summary *s, long step, int n, const char *const *tags, const double *values)
{
    if (s->file.fd < 0) return;
    hep_pb summary = { 0 };
    for (int i = 0; i < n; i++) {
        hep_pb value = { 0 };
        hep_pb_string(&value, 1, tags[i]);
        hep_pb_float(&value, 2, (float)values[i]);   /* Summary.Value.simple_value */
        hep_pb_message(&summary, 1, &value);
    }
    hep_pb event = { 0 };
    hep_pb_double(&event, 1, wall_time());
    hep_pb_int(&event, 2, step);
    hep_pb_message(&event, 5, &summary);
    write_record(s, &event);
    hep_pb_free(&event);
}

void hep_summary_close(hep_summary *s)
{
    hep_record_file_close(&s->file);
}
