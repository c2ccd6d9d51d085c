"""Writes small HDF5 files for the data tests: valid ones in the seed's
format with recognisable contents, and each kind of bad input.
Usage: make_h5.py CASE DIR [options], or make_h5.py damage_type FILE DATASET
(run with Debian's /usr/bin/python3, which has h5py and numpy)."""
import os
import sys

import h5py
import numpy as np


def write(path, n, shape=(3, 64, 64), dtype="f4", label_dtype="i4", compress=None, offset=0,
          labels=None, skip=(), data=None, lengths=None, normweight=1.0, shuffle=False, chunk_rows=1):
    """data[i] is filled with (offset + i) / 1000 in channel 0, 2x that in
    channel 1, 3x in channel 2, so a sample's identity can be read back."""
    with h5py.File(path, "w") as f:
        if "data" not in skip:
            if data is None:
                ids = (offset + np.arange(n, dtype=np.float64)) / 1000.0
                data = np.zeros((n,) + tuple(shape), dtype=np.float64)
                for c in range(min(shape[0], 3) if len(shape) == 3 else 0):
                    data[:, c] = (c + 1) * ids[:, None, None]
            kw = {"chunks": (chunk_rows,) + tuple(data.shape[1:]), "compression": compress,
                  "shuffle": shuffle} if compress else {}
            f.create_dataset("data", data=data.astype(dtype), **kw)
        m = (lengths or {})
        if "label" not in skip:
            lab = labels if labels is not None else (np.arange(m.get("label", n)) % 2)
            f.create_dataset("label", data=np.asarray(lab).astype(label_dtype))
        if "normweight" not in skip:
            f.create_dataset("normweight", data=np.full(m.get("normweight", n), normweight, dtype="f4"))
        if "weight" not in skip:
            f.create_dataset("weight", data=(offset + np.arange(m.get("weight", n))).astype("f4"))


def damage_type(path, name):
    """Makes dataset `name`'s element type 23812 bytes of which 32 bits are
    used (a fuzzer's find: one byte of the datatype message's size), its
    storage left as it was. HDF5 1.10 then reads that many bytes per element
    out of each chunk it decodes: far past the chunk's end."""
    import re
    with h5py.File(path, "r") as f:
        header = h5py.h5o.get_info(f[name].id).addr
    data = bytearray(open(path, "rb").read())
    # datatype message, version 1, fixed-point (0x10) or floating-point (0x11), 4 bytes
    at = re.compile(rb"[\x10\x11][\x00-\xff]{3}\x04\x00\x00\x00", re.S).search(data, header).start()
    data[at + 5] = 0x5D
    open(path, "wb").write(data)


def main():
    case, d = sys.argv[1], sys.argv[2]
    if case == "damage_type":                 # damage_type FILE DATASET
        damage_type(d, sys.argv[3])
        return
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "train_000.h5")
    if case == "files":                       # files N ROWS...: valid files with distinct ids
        offset = 0
        for i, rows in enumerate(int(r) for r in sys.argv[3:]):
            write(os.path.join(d, "train_%03d.h5" % i), rows, offset=offset)
            offset += rows
    elif case == "formats":                   # float16 / float64 data, int8 / int64 labels, gzip
        write(os.path.join(d, "train_000.h5"), 8, dtype="f2", label_dtype="i1", compress="gzip")
        write(os.path.join(d, "train_001.h5"), 8, dtype="f8", label_dtype="i8", compress="gzip", offset=8)
    elif case == "gzip":                      # gzip'd float32: alone, after shuffle, 2 rows a chunk, big-endian
        write(os.path.join(d, "train_000.h5"), 7, compress="gzip")
        write(os.path.join(d, "train_001.h5"), 6, compress="gzip", shuffle=True, offset=7)
        write(os.path.join(d, "train_002.h5"), 5, compress="gzip", chunk_rows=2, offset=13)
        write(os.path.join(d, "train_003.h5"), 4, dtype=">f4", compress="gzip", offset=18)
    elif case in ("gzip_short", "gzip_skipped"):
        # row 5's chunk replaced by stored bytes that are not one image: gzip
        # of half an image; or the compressed image with the chunk's filter
        # mask saying gzip was skipped (what one byte of a chunk index can
        # say): HDF5 1.10 copied a whole image out of the shorter buffer
        import zlib
        write(p, 8, compress="gzip")
        with h5py.File(p, "r+") as f:
            image = f["data"][5].tobytes()
            # (a black image for the second: HDF5 keeps the old mask where the size is the same)
            stored = zlib.compress(image[:len(image) // 2] if case == "gzip_short" else bytes(len(image)))
            f["data"].id.write_direct_chunk((5, 0, 0, 0), stored, 0 if case == "gzip_short" else 1)   # the filter mask
    elif case == "not_hdf5":
        with open(p, "w") as f:
            f.write("this is not an HDF5 file\n")
    elif case == "truncated":
        write(p, 16)
        size = os.path.getsize(p)
        with open(p, "r+b") as f:
            f.truncate(size // 2)
    elif case == "missing_dataset":
        write(p, 8, skip=("weight",))
    elif case == "wrong_rank":
        write(p, 8, data=np.zeros((8, 3, 64), dtype="f4"))
    elif case == "wrong_shape":
        write(p, 8, shape=(3, 32, 32))
    elif case == "lengths":
        write(p, 8, lengths={"label": 7})
    elif case == "bad_label":
        write(p, 8, labels=[0, 1, 0, 1, 5, 0, 1, 0])
    elif case in ("nan", "inf"):
        data = np.zeros((8, 3, 64, 64), dtype="f4")
        data[5, 1, 10, 20] = np.nan if case == "nan" else np.inf
        write(p, 8, data=data)
    elif case == "lzf":                       # h5py's own filter, which libhdf5 does not have
        write(p, 8, compress="lzf")
    elif case == "damaged_type":              # gzip'd data whose element type says 23812 bytes
        write(p, 8, compress="gzip")
        damage_type(p, "data")
    elif case == "few":
        write(p, 3)
    elif case == "no_train":
        write(os.path.join(d, "val_000.h5"), 8)
    elif case == "normweight2":               # every normweight 2: a weighted loss is twice the unweighted
        rng = np.random.default_rng(2)
        write(p, 32, data=rng.random((32, 3, 64, 64)), normweight=2.0)
        write(os.path.join(d, "val_000.h5"), 16, data=rng.random((16, 3, 64, 64)), normweight=2.0)
        write(os.path.join(d, "test_000.h5"), 16, data=rng.random((16, 3, 64, 64)), normweight=2.0)
    elif case == "sorted":                    # sorted N...: files written class by class (all 0s, then all 1s)
        offset = 0
        for i, rows in enumerate(int(r) for r in sys.argv[3:]):
            write(os.path.join(d, "train_%03d.h5" % i), rows, offset=offset,
                  labels=(np.arange(rows) >= rows // 2).astype("i4"))
            offset += rows
    elif case == "huge_rows":                 # every dataset declares 2**62 rows with no storage behind them
        with h5py.File(p, "w") as f:
            f.create_dataset("data", shape=(2**62, 3, 64, 64), dtype="f4", chunks=(1, 3, 64, 64))
            f.create_dataset("label", shape=(2**62,), dtype="i4", chunks=(1024,))
            for name in ("normweight", "weight"):
                f.create_dataset(name, shape=(2**62,), dtype="f4", chunks=(1024,))
    elif case == "val_nan":                   # valid training files, a NaN in the validation file
        write(p, 16)
        data = np.zeros((8, 3, 64, 64), dtype="f4")
        data[6, 2, 3, 4] = np.nan
        write(os.path.join(d, "val_000.h5"), 8, data=data)
    elif case == "channels":                  # channels C H W N: random data, train and val files
        c, h, w, n = (int(x) for x in sys.argv[3:7])
        rng = np.random.default_rng(1)
        for name, rows in (("train_000.h5", n), ("val_000.h5", n // 2)):
            data = rng.random((rows, c, h, w)) * (1 + np.arange(c))[None, :, None, None]
            write(os.path.join(d, name), rows, data=data)
    else:
        sys.exit("make_h5.py: unknown case " + case)


if __name__ == "__main__":
    main()
