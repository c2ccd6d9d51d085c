/* The images of a gzip data file, inflated here (see h5gzip.h). */
#include "h5gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "h5syserr.h"

int hep_gzip_rows_plan(hid_t ds, hep_gzip_rows *plan)
{
    hid_t dcpl = H5Dget_create_plist(ds), type = H5Dget_type(ds), space = H5Dget_space(ds);
    hsize_t chunk[32], dims[32];
    const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int fits = rank >= 2 && rank <= 32 && dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
               H5Pget_chunk(dcpl, 32, chunk) == rank && H5Sget_simple_extent_dims(space, dims, NULL) == rank &&
               type >= 0 && H5Tequal(type, H5T_NATIVE_FLOAT) > 0 && chunk[0] == 1;
    *plan = (hep_gzip_rows){ .row_bytes = sizeof(float), .gzip = -1, .shuffle = -1 };
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
    return fits && plan->gzip >= 0 && plan->row_bytes <= UINT32_MAX;
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

/* One image (row `row`) into out, through `stored` and `inflated` (both
 * row_bytes long, grown as needed for stored). */
static int read_row(hid_t ds, const hep_gzip_rows *plan, long row, unsigned char *out, unsigned char **stored,
                    size_t *stored_room, unsigned char *inflated, int *os_err)
{
    hsize_t offset[32] = { (hsize_t)row }, size = 0;
    uint32_t skipped = 0;   /* the filters not applied to this chunk */
    if (H5Dget_chunk_storage_size(ds, offset, &size) < 0 || size == 0 || size > UINT32_MAX) {
        *os_err = hep_h5_system_errno();
        return -1;
    }
    if (size > *stored_room) {
        unsigned char *bigger = realloc(*stored, (size_t)size);
        if (!bigger) return -1;
        *stored = bigger;
        *stored_room = (size_t)size;
    }
    if (H5Dread_chunk(ds, H5P_DEFAULT, offset, &skipped, *stored) < 0) {
        *os_err = hep_h5_system_errno();
        return -1;
    }
    const int gzipped = !(skipped >> plan->gzip & 1), shuffled = plan->shuffle >= 0 && !(skipped >> plan->shuffle & 1);
    unsigned char *plain = shuffled ? inflated : out;
    if (gzipped && inflate_exactly(*stored, (size_t)size, plain, plan->row_bytes) != 0) return -1;
    if (!gzipped) {   /* stored as it was: gzip, an optional filter, made it no smaller */
        if (size != plan->row_bytes) return -1;
        memcpy(plain, *stored, plan->row_bytes);
    }
    if (shuffled) unshuffle(inflated, plan->row_bytes, out);
    return 0;
}

int hep_gzip_read_rows(hid_t ds, const hep_gzip_rows *plan, long row0, long count, float *out, int *os_err)
{
    size_t stored_room = plan->row_bytes;
    unsigned char *stored = malloc(stored_room), *inflated = malloc(plan->row_bytes);
    int rc = stored && inflated ? 0 : -1;
    *os_err = 0;
    for (long i = 0; i < count && rc == 0; i++)
        rc = read_row(ds, plan, row0 + i, (unsigned char *)out + (size_t)i * plan->row_bytes, &stored, &stored_room,
                      inflated, os_err);
    free(stored);
    free(inflated);
    return rc;
}
