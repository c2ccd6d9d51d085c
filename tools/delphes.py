"""bin/hepcnn-delphes: Delphes ROOT files to the seed's HDF5 images.

    hepcnn-delphes --outdir=DIR [--prefix=train] [--size=64|224] [--events_per_file=N]
                   [--eta_max=2.5] [--seed=S] [--label=L --weight=W --normweight=NW --psr=P]
                   FILE.root[:label=L,weight=W,normweight=NW,psr=P] ...

Each event of each input file's Delphes tree becomes one image [3][size][size]
binned in eta (y, from -eta_max to eta_max; outside dropped) and phi (x, from
-pi to pi, periodic):
  channel 0  the towers' total energy (Tower.E, summed per pixel)
  channel 1  their electromagnetic fraction (sum Tower.Eem / sum Tower.E; 0 without energy)
  channel 2  the number of tracks (Track.Eta, Track.Phi)
label, weight, normweight and psr are per input file (FILE:key=value,...; the
options give the defaults; psr is written only when every file has one).
Events of all inputs are shuffled together (seeded) into
DIR/PREFIX_000.h5, PREFIX_001.h5, ... of at most events_per_file rows each,
the seed's layout: data [n][3][size][size] float32, label int32, weight,
normweight (and psr) float32. Reads ROOT with uproot: no ROOT installation."""
import argparse
import contextlib
import math
import os
import re
import signal
import sys

import awkward as ak
import h5py
import numpy as np
import uproot

BRANCHES = ("Tower.Eta", "Tower.Phi", "Tower.E", "Tower.Eem", "Track.Eta", "Track.Phi")
KEYS = ("label", "weight", "normweight", "psr")


def fail(message):
    sys.exit("hepcnn-delphes: error: " + message)


def one_line(error):
    """uproot's message on one line, without its last words when they only
    name the file again."""
    text = " ".join(str(error).split()) or type(error).__name__
    return re.sub(r",? (for file path|in file) \S+$", "", text)


def parse_input(spec, defaults):
    """FILE[:key=value,...] -> (path, {label, weight, normweight, psr})"""
    path, _, extra = spec.partition(":")
    values = dict(defaults)
    for item in filter(None, extra.split(",")):
        key, eq, value = item.partition("=")
        if key not in KEYS or not eq:
            fail("%s: expected FILE:key=value,... with keys %s, got %r" % (spec, ", ".join(KEYS), item))
        try:
            values[key] = int(value) if key == "label" else float(value)
        except ValueError:
            fail("%s: %s=%r is not a number" % (spec, key, value))
    if values["label"] is None:
        fail("%s: no label (give --label=L, or FILE:label=L)" % path)
    if values["label"] < 0:
        fail("%s: label %d is negative" % (path, values["label"]))
    return path, values


def open_tree(path):
    """The file's Delphes tree, its directory and branch list read (and so
    checked) here."""
    try:
        f = uproot.open(path)
        if "Delphes" not in f:
            fail("%s: no 'Delphes' tree (has: %s)" % (path, ", ".join(f.keys()) or "nothing"))
        tree = f["Delphes"]
        names = set(tree.keys(recursive=True))
        tree.num_entries
    except Exception as e:   # uproot raises several kinds for a file that is not ROOT, or damaged
        fail("%s: not a readable ROOT file (%s)" % (path, one_line(e)))
    for b in BRANCHES:
        if b not in names and b.split(".")[0] + "/" + b not in names:
            fail("%s: the Delphes tree has no branch %s" % (path, b))
    return tree


class DamagedInput(Exception):
    pass


def branch(tree, name, start, stop):
    key = name if name in tree.keys(recursive=True) else name.split(".")[0] + "/" + name
    try:
        return tree[key].array(entry_start=start, entry_stop=stop, library="ak")
    except Exception as e:   # uproot raises several kinds for a damaged basket
        raise DamagedInput("%s: branch %s, events %d-%d cannot be read (a damaged or truncated ROOT file?): %s"
                           % (tree.file.file_path, name, start, stop - 1, one_line(e))) from e


def pixels(eta, phi, size, eta_max):
    """Flat pixel index y * size + x per object (-1 outside the eta range)."""
    eta, phi = eta.astype(np.float64), phi.astype(np.float64)   # bin edges in double, whatever the file holds
    y = np.floor((eta + eta_max) / (2 * eta_max) * size).astype(np.int64)
    x = np.floor((phi + math.pi) / (2 * math.pi) * size).astype(np.int64) % size   # periodic in phi
    return np.where((y >= 0) & (y < size), y * size + x, -1)


def images(tree, start, stop, size, eta_max):
    """[n][3][size][size] float32 for entries start..stop-1."""
    n = stop - start
    energy, em, tracks = (np.zeros(n * size * size) for _ in range(3))   # flat, so np.add.at writes in place
    for obj, channels in (("Tower", ("E", "Eem")), ("Track", ())):
        eta = branch(tree, obj + ".Eta", start, stop)
        event = np.repeat(np.arange(n), ak.to_numpy(ak.num(eta)))
        pix = pixels(ak.to_numpy(ak.flatten(eta)), ak.to_numpy(ak.flatten(branch(tree, obj + ".Phi", start, stop))),
                     size, eta_max)
        keep = pix >= 0
        at = event[keep] * size * size + pix[keep]
        if obj == "Tower":
            np.add.at(energy, at, ak.to_numpy(ak.flatten(branch(tree, "Tower.E", start, stop)))[keep])
            np.add.at(em, at, ak.to_numpy(ak.flatten(branch(tree, "Tower.Eem", start, stop)))[keep])
        else:
            np.add.at(tracks, at, 1.0)
    fraction = np.divide(em, energy, out=np.zeros_like(em), where=energy > 0)
    out = np.stack([energy, fraction, tracks]).reshape(3, n, size, size).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out, dtype=np.float32)


def progress(done, total):
    width = 40
    bar = "#" * (width * done // max(total, 1))
    end = "\n" if done == total or not sys.stderr.isatty() else ""
    sys.stderr.write("\rhepcnn-delphes: [%-*s] %d/%d events%s" % (width, bar, done, total, end))
    sys.stderr.flush()


def unfinished_name(a, i):
    """Output file i's name until every event is in it."""
    return os.path.join(a.outdir, "%s_%03d.h5.tmp" % (a.prefix, i))


def create_outputs(a, total, nfiles, with_psr, outs):
    """The output files into outs (those made so far when one cannot be).
    No chunk cache: each image is one chunk, and a write that fails (a full
    disk) then fails in its own call, not later where h5py only prints it."""
    for i in range(nfiles):
        rows = min(a.events_per_file, total - i * a.events_per_file)
        f = h5py.File(unfinished_name(a, i), "w", rdcc_nbytes=0)
        f.create_dataset("data", (rows, 3, a.size, a.size), dtype="<f4", chunks=(1, 3, a.size, a.size))
        f.create_dataset("label", (rows,), dtype="<i4")
        for key in ("weight", "normweight") + (("psr",) if with_psr else ()):
            f.create_dataset(key, (rows,), dtype="<f4")
        outs.append(f)


def remove_unfinished(a, outs, nfiles, close):
    """Every output file removed; closed first unless a write to it failed:
    HDF5 closing such a file crashed (SIGSEGV)."""
    for i in range(nfiles):
        if close and i < len(outs):
            with contextlib.suppress(Exception):
                outs[i].close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(unfinished_name(a, i))


def system_error(error):
    """The system's error in h5py's message ("... errno = 28, error message
    = 'No space left on device' ..."), else the message on one line."""
    found = re.search(r"error message = '([^']*)'", str(error))
    return found.group(1) if found else one_line(error)


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__("signal %d" % signum)
        self.signum = signum


def fill(a, inputs, trees, counts, outs, with_psr, stop_signals):
    """Every event's image into its place: one seeded permutation of all
    events. Stops with Interrupted once stop_signals holds a signal's number."""
    total = sum(counts)
    place = np.random.default_rng(a.seed).permutation(total)
    first, done = 0, 0
    for (path, values), tree, count in zip(inputs, trees, counts):
        for start in range(0, count, 1000):
            stop = min(count, start + 1000)
            img = images(tree, start, stop, a.size, a.eta_max)
            dest = place[first + start:first + stop]
            for i in np.unique(dest // a.events_per_file):
                sel = np.nonzero(dest // a.events_per_file == i)[0]
                rows = dest[sel] % a.events_per_file
                order = np.argsort(rows)
                sel, rows = sel[order], rows[order]
                outs[i]["data"][rows] = img[sel]
                outs[i]["label"][rows] = values["label"]
                for key in ("weight", "normweight") + (("psr",) if with_psr else ()):
                    outs[i][key][rows] = values[key]
            done += stop - start
            progress(done, total)
            if stop_signals:
                raise Interrupted(stop_signals[0])
        first += count


def main():
    p = argparse.ArgumentParser(prog="hepcnn-delphes", description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+", metavar="FILE.root[:key=value,...]")
    p.add_argument("--outdir", required=True)
    p.add_argument("--prefix", default="train")
    p.add_argument("--size", type=int, default=64, choices=(64, 224))
    p.add_argument("--events_per_file", type=int, default=10000)
    p.add_argument("--eta_max", type=float, default=2.5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--label", type=int)
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--normweight", type=float, default=1.0)
    p.add_argument("--psr", type=float)
    a = p.parse_args()
    if a.events_per_file < 1 or not a.eta_max > 0:
        fail("--events_per_file must be >= 1 and --eta_max > 0")
    defaults = {"label": a.label, "weight": a.weight, "normweight": a.normweight, "psr": a.psr}
    inputs = [parse_input(s, defaults) for s in a.inputs]
    trees = [open_tree(path) for path, _ in inputs]
    counts = [t.num_entries for t in trees]
    total = sum(counts)
    if total == 0:
        fail("the input files hold no events")
    with_psr = all(v["psr"] is not None for _, v in inputs)
    nfiles = (total + a.events_per_file - 1) // a.events_per_file
    os.makedirs(a.outdir, exist_ok=True)
    # A signal is noted, and the conversion stops at the next block of
    # events: an exception raised in the handler itself can be lost inside
    # a library's callback (Python then only prints it).
    stop_signals = []
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _: stop_signals.append(signum))
    outs = []
    try:
        create_outputs(a, total, nfiles, with_psr, outs)
        fill(a, inputs, trees, counts, outs, with_psr, stop_signals)
        for f in outs:   # the last writes: renamed only once every file is whole
            f.flush()
            f.close()
    except BaseException as e:   # a damaged input, an interrupt, a failed write: no half-written file is left behind
        write_failed = isinstance(e, (OSError, RuntimeError))   # h5py's, for a file it could not create or write
        remove_unfinished(a, outs, nfiles, close=not write_failed)
        if isinstance(e, DamagedInput):
            fail(str(e))
        if isinstance(e, Interrupted):
            sys.stderr.write("\nhepcnn-delphes: stopped by signal %d: the unfinished output files were removed\n"
                             % e.signum)
            sys.exit(128 + e.signum)
        if write_failed:
            sys.stderr.write("\nhepcnn-delphes: error: writing the output files in %s failed: %s; the unfinished "
                             "ones were removed\n" % (a.outdir, system_error(e)))
            sys.stderr.flush()
            os._exit(1)   # not HDF5's clean-up at exit: it would close them
        raise
    for i in range(nfiles):
        os.replace(unfinished_name(a, i), unfinished_name(a, i)[:-len(".tmp")])
    print("hepcnn-delphes: %d events from %d file(s) -> %d file(s) %s/%s_*.h5 (%dx%d, channels: energy, EM fraction, "
          "tracks%s)" % (total, len(inputs), nfiles, a.outdir, a.prefix, a.size, a.size,
                         "; psr" if with_psr else "; no psr"))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:   # before any output file exists
        sys.exit(130)
