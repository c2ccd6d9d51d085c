/* Checks before an HDF5 read that a damaged or crafted file could
 * otherwise turn into an overrun. Used by the checkpoint and data readers
 * and by hepcnn-export, which has no runtime. */
#ifndef HEP_H5SINGLE_H
#define HEP_H5SINGLE_H

#include <hdf5.h>

/* Whether an attribute holds exactly one element. H5Aread writes as many
 * elements as the attribute's dataspace has into the caller's buffer, so a
 * checkpoint with an array where a scalar belongs (a step of 4000 values)
 * would run past it: check before every read into a buffer sized for one. */
static inline int hep_h5_attr_single(hid_t attr)
{
    hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
    int single = space >= 0 && H5Sget_simple_extent_npoints(space) == 1;
    if (space >= 0) H5Sclose(space);
    return single;
}

/* Whether a dataset's type is a plain number: an integer of 1, 2, 4 or 8
 * bytes or a float of 2, 4 or 8, every bit of it used. HDF5 1.10 converts
 * from a type whose size is damaged (a "190496-bit float of 32-bit
 * precision") by reading that many bytes per element out of the chunk it
 * decoded, far past its end: check before every H5Dread. */
static inline int hep_h5_plain_number(hid_t type)
{
    const H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    const size_t size = cls == H5T_INTEGER || cls == H5T_FLOAT ? H5Tget_size(type) : 0;
    const int usual = size == 2 || size == 4 || size == 8 || (size == 1 && cls == H5T_INTEGER);
    return usual && H5Tget_precision(type) == 8 * size && H5Tget_offset(type) == 0;
}

#endif
