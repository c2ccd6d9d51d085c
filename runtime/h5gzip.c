/* The images of a gzip data file, inflated here (see h5gzip.h). */
#include "h5gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "h5syserr.h"

/* zlib counts in 32 bits; HDF5 itself caps a chunk at 4 GiB */
enum { MAX_CHUNK_BYTES = 1 << 30 };

/* The buffers of one read: a chunk's stored bytes (grown as needed), its
 * inflated bytes before unshuffling, and a whole chunk of which only some
 * rows are wanted. */
typedef struct {
    unsigned char *stored, *inflated, *chunk;
    size_t stored_room;
} gzip_buffers;

int hep_gzip_rows_plan(hid_t ds, hep_gzip_rows *plan)
{
    hid_t dcpl = H5Dget_create_plist(ds), type = H5Dget_type(ds), space = H5Dget_space(ds);
    hsize_t chunk[32], dims[32];
    const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int fits = rank >= 2 && rank <= 32 && dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
               H5Pget_chunk(dcpl, 32, chunk) == rank && H5Sget_simple_extent_dims(space, dims, NULL) == rank &&
               type >= 0 && H5Tequal(type, H5T_NATIVE_FLOAT) > 0;
    *plan = (hep_gzip_rows){ .row_bytes = sizeof(float), .chunk_rows = fits ? (long)chunk[0] : 0, .gzip = -1,
                             .shuffle = -1 };
    for (int i = 1; fits && i < rank; i++) {
        fits = chunk[i] == dims[i];
        plan->row_bytes *= (size_t)dims[i];
    }
    const int n = fits ? H5Pget_nfilters(dcpl) : 0;
    for (int i = 0; i < n && fits; i++) {
        unsigned flags, config;
        size_t nvalues = 0;
        const H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nvalues, NULL, 0, NULL, &config);
        if (id == H5Z_FILTER_DEFLATE && plan->gzip < 0) plan->gzip = i;
        else if (id == H5Z_FILTER_SHUFFLE && plan->shuffle < 0 && plan->gzip < 0) plan->shuffle = i;
        else fits = 0;
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (dcpl >= 0) H5Pclose(dcpl);
    plan->chunk_bytes = plan->row_bytes * (size_t)plan->chunk_rows;
    return fits && plan->gzip >= 0 && plan->chunk_rows >= 1 && plan->chunk_bytes / plan->row_bytes ==
           (size_t)plan->chunk_rows && plan->chunk_bytes <= MAX_CHUNK_BYTES;
}

/* `stored` (size bytes) inflated into exactly `want` bytes at out: 0, or -1. */
static int inflate_exactly(const unsigned char *stored, size_t size, unsigned char *out, size_t want)
{
    unsigned char spare;   /* a stream that makes more than `want` spills into it: damaged */
    z_stream z = { .next_in = (unsigned char *)stored, .avail_in = (uInt)size, .next_out = out, .avail_out = (uInt)want };
    if (size > UINT32_MAX || inflateInit(&z) != Z_OK) return -1;
    int status = inflate(&z, Z_FINISH);
    if (status == Z_BUF_ERROR && z.avail_out == 0) {   /* full: only the stream's end may follow */
        z.next_out = &spare;
        z.avail_out = 1;
        status = inflate(&z, Z_FINISH);
    }
    const int whole = status == Z_STREAM_END && z.total_out == want;
    inflateEnd(&z);
    return whole ? 0 : -1;
}

/* HDF5's shuffle filter stored byte k of every 4-byte value together:
 * put them back in place. */
static void unshuffle(const unsigned char *in, size_t bytes, unsigned char *out)
{
    const size_t values = bytes / 4;
    for (size_t v = 0; v < values; v++)
        for (size_t k = 0; k < 4; k++) out[v * 4 + k] = in[k * values + v];
}

/* The chunk that starts at row `row` into out (chunk_bytes). */
static int read_chunk(hid_t ds, const hep_gzip_rows *plan, long row, unsigned char *out, gzip_buffers *b,
                      int *os_err)
{
    hsize_t offset[32] = { (hsize_t)row }, size = 0;
    uint32_t skipped = 0;   /* the filters not applied to this chunk */
    if (H5Dget_chunk_storage_size(ds, offset, &size) < 0 || size == 0 || size > UINT32_MAX) {
        *os_err = hep_h5_system_errno();
        return -1;
    }
    if (size > b->stored_room) {
        unsigned char *bigger = realloc(b->stored, (size_t)size);
        if (!bigger) return -1;
        b->stored = bigger;
        b->stored_room = (size_t)size;
    }
    if (H5Dread_chunk(ds, H5P_DEFAULT, offset, &skipped, b->stored) < 0) {
        *os_err = hep_h5_system_errno();
        return -1;
    }
    const int gzipped = !(skipped >> plan->gzip & 1), shuffled = plan->shuffle >= 0 && !(skipped >> plan->shuffle & 1);
    unsigned char *plain = shuffled ? b->inflated : out;
    if (gzipped && inflate_exactly(b->stored, (size_t)size, plain, plan->chunk_bytes) != 0) return -1;
    if (!gzipped) {   /* stored as it was: gzip, an optional filter, made it no smaller */
        if (size != plan->chunk_bytes) return -1;
        memcpy(plain, b->stored, plan->chunk_bytes);
    }
    if (shuffled) unshuffle(b->inflated, plan->chunk_bytes, out);
    return 0;
}

int hep_gzip_read_rows(hid_t ds, const hep_gzip_rows *plan, long row0, long count, float *out, int *os_err)
{
    const long k = plan->chunk_rows, end = row0 + count;
    /* the unshuffling and part-chunk buffers only where the file needs them */
    gzip_buffers b = { .stored = malloc(plan->chunk_bytes), .stored_room = plan->chunk_bytes,
                       .inflated = plan->shuffle >= 0 ? malloc(plan->chunk_bytes) : NULL,
                       .chunk = k > 1 ? malloc(plan->chunk_bytes) : NULL };
    int rc = b.stored && (b.inflated || plan->shuffle < 0) && (b.chunk || k == 1) ? 0 : -1;
    *os_err = 0;
    for (long first = row0 / k * k; first < end && rc == 0; first += k) {
        /* a chunk wholly wanted goes straight to its place; of another, its wanted rows */
        const long from = first > row0 ? first : row0, to = first + k < end ? first + k : end;
        unsigned char *at = (unsigned char *)out + (size_t)(from - row0) * plan->row_bytes;
        const int whole = from == first && to == first + k;
        rc = read_chunk(ds, plan, first, whole ? at : b.chunk, &b, os_err);
        if (rc == 0 && !whole)
            memcpy(at, b.chunk + (size_t)(from - first) * plan->row_bytes, (size_t)(to - from) * plan->row_bytes);
    }
    free(b.stored);
    free(b.inflated);
    free(b.chunk);
    return rc;
}
