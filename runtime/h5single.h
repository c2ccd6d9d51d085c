/* Whether an HDF5 attribute holds exactly one element. H5Aread writes as
 * many elements as the attribute's dataspace has into the caller's buffer,
 * so a damaged or crafted checkpoint with an array where a scalar belongs
 * (a step of 4000 values) would run past it: check before every read into
 * a buffer sized for one. Used by the checkpoint reader and by
 * hepcnn-export, which has no runtime. */
#ifndef HEP_H5SINGLE_H
#define HEP_H5SINGLE_H

#include <hdf5.h>

static inline int hep_h5_attr_single(hid_t attr)
{
    hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
    int single = space >= 0 && H5Sget_simple_extent_npoints(space) == 1;
    if (space >= 0) H5Sclose(space);
    return single;
}

#endif
