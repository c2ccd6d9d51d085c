/* A protocol-buffers encoder, just enough for the two formats hepcnn writes
 * for other people's tools: TensorBoard's Event records (runtime/summary.c)
 * and ONNX models (tools/export.c). A message is built in its own buffer
 * and embedded in its parent as a length-delimited field. Allocation
 * failures set `failed`; the writer checks it once at the end. */
#ifndef HEP_PROTOBUF_H
#define HEP_PROTOBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed;
} hep_pb;

enum { HEP_PB_VARINT = 0, HEP_PB_FIXED64 = 1, HEP_PB_BYTES = 2, HEP_PB_FIXED32 = 5 };

static inline void hep_pb_raw(hep_pb *b, const void *p, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) { b->failed = 1; return; }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void hep_pb_varint(hep_pb *b, uint64_t v)
{
    unsigned char out[10];
    int n = 0;
    do {
        out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    hep_pb_raw(b, out, (size_t)n);
}

static inline void hep_pb_key(hep_pb *b, int field, int wire) { hep_pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

/* int32/int64/enum/bool fields (negative values as 10-byte varints, as protobuf does) */
static inline void hep_pb_int(hep_pb *b, int field, int64_t v)
{
    hep_pb_key(b, field, HEP_PB_VARINT);
    hep_pb_varint(b, (uint64_t)v);
}

/* A fixed-width little-endian field: double (wire FIXED64) or float (FIXED32). */
static inline void hep_pb_fixed(hep_pb *b, int field, int wire, uint64_t bits, int bytes)
{
    unsigned char le[8];
    for (int i = 0; i < bytes; i++) le[i] = (unsigned char)(bits >> (8 * i));
    hep_pb_key(b, field, wire);
    hep_pb_raw(b, le, (size_t)bytes);
}

static inline void hep_pb_double(hep_pb *b, int field, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    hep_pb_fixed(b, field, HEP_PB_FIXED64, u, 8);
}

static inline void hep_pb_float(hep_pb *b, int field, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    hep_pb_fixed(b, field, HEP_PB_FIXED32, u, 4);
}

static inline void hep_pb_bytes(hep_pb *b, int field, const void *p, size_t n)
{
    hep_pb_key(b, field, HEP_PB_BYTES);
    hep_pb_varint(b, n);
    hep_pb_raw(b, p, n);
}

static inline void hep_pb_string(hep_pb *b, int field, const char *s) { hep_pb_bytes(b, field, s, strlen(s)); }

/* Embeds `sub` as field `field` of b and frees it. */
static inline void hep_pb_message(hep_pb *b, int field, hep_pb *sub)
{
    b->failed |= sub->failed;
    hep_pb_bytes(b, field, sub->data, sub->len);
    free(sub->data);
    *sub = (hep_pb){ 0 };
}

static inline void hep_pb_free(hep_pb *b)
{
    free(b->data);
    *b = (hep_pb){ 0 };
}

#endif
