"""Writes a small Delphes-like ROOT file with uproot (tree 'Delphes', branches
Tower.Eta/Phi/E/Eem and Track.Eta/Phi with Tower_size / Track_size
counters, as Delphes names them), or checks hepcnn-delphes' images of such
files pixel by pixel against the towers and tracks, binned here object by
object in plain Python.
Usage: make_delphes.py write FILE.root EVENTS SEED
       make_delphes.py check OUTDIR PREFIX SIZE ETA_MAX FILE.root:label=L,weight=W ...
(run with build/venv's python)"""
import glob
import math
import sys

import awkward as ak
import h5py
import numpy as np
import uproot


def write(path, events, seed):
    rng = np.random.default_rng(int(seed))
    n = int(events)
    ntower, ntrack = rng.integers(0, 40, n), rng.integers(0, 15, n)
    def jagged(counts, lo, hi):
        return ak.unflatten(rng.uniform(lo, hi, counts.sum()).astype(np.float32), counts)
    towers = ak.zip({"Eta": jagged(ntower, -3.0, 3.0), "Phi": jagged(ntower, -math.pi, math.pi),
                     "E": jagged(ntower, 0.1, 50.0)})
    towers = ak.with_field(towers, towers.E * ak.unflatten(rng.uniform(0, 1, ntower.sum()).astype(np.float32), ntower),
                           "Eem")
    tracks = ak.zip({"Eta": jagged(ntrack, -3.0, 3.0), "Phi": jagged(ntrack, -math.pi, math.pi)})
    with uproot.recreate(path) as f:
        f.mktree("Delphes", {"Tower": towers.type.content, "Track": tracks.type.content},
                 counter_name=lambda counted: counted + "_size", field_name=lambda outer, inner: outer + "." + inner)
        f["Delphes"].extend({"Tower": towers, "Track": tracks})
    print("%s: %d events, %d towers, %d tracks" % (path, n, ntower.sum(), ntrack.sum()))


def expected_image(tower_eta, tower_phi, tower_e, tower_eem, track_eta, track_phi, size, eta_max):
    energy, em, tracks = np.zeros((size, size)), np.zeros((size, size)), np.zeros((size, size))
    def pixel(eta, phi):
        y = math.floor((eta + eta_max) / (2 * eta_max) * size)
        x = math.floor((phi + math.pi) / (2 * math.pi) * size) % size
        return (y, x) if 0 <= y < size else None
    for eta, phi, e, eem in zip(tower_eta, tower_phi, tower_e, tower_eem):
        at = pixel(eta, phi)
        if at:
            energy[at] += e
            em[at] += eem
    for eta, phi in zip(track_eta, track_phi):
        at = pixel(eta, phi)
        if at:
            tracks[at] += 1
    frac = np.where(energy > 0, em / np.where(energy > 0, energy, 1), 0)
    return np.stack([energy, frac, tracks])


def check(outdir, prefix, size, eta_max, *specs):
    size, eta_max = int(size), float(eta_max)
    want = {}   # (label, weight) -> expected images of that input, in order
    for spec in specs:
        path, _, extra = spec.partition(":")
        meta = dict(item.split("=") for item in extra.split(","))
        t = uproot.open(path)["Delphes"]
        a = t.arrays(["Tower.Eta", "Tower.Phi", "Tower.E", "Tower.Eem", "Track.Eta", "Track.Phi"])
        images = [expected_image(*(a[k][i].to_list() for k in a.fields), size, eta_max) for i in range(len(a))]
        want[(int(meta["label"]), float(meta["weight"]))] = images
    files = sorted(glob.glob("%s/%s_*.h5" % (outdir, prefix)))
    got = {}
    for name in files:
        with h5py.File(name) as f:
            assert f["data"].dtype == np.float32 and f["label"].dtype == np.int32
            for img, label, weight in zip(f["data"][()], f["label"][()], f["weight"][()]):
                got.setdefault((int(label), float(weight)), []).append(img)
    assert set(got) == set(want), (set(got), set(want))
    worst, matched = 0.0, 0
    for key, images in want.items():
        # events are shuffled: match each expected image to one written image
        left = list(got[key])
        assert len(left) == len(images), (key, len(left), len(images))
        for img in images:
            errs = [float(np.abs(g - img).max() / max(1.0, np.abs(img).max())) for g in left]
            k = int(np.argmin(errs))
            worst = max(worst, errs[k])
            left.pop(k)
            matched += 1
    labels = np.concatenate([h5py.File(n)["label"][()] for n in files])
    print("%d images in %d file(s) match the towers and tracks pixel by pixel (max relative difference %.1e); "
          "labels per file: %s" % (matched, len(files), worst,
                                   [np.bincount(h5py.File(n)["label"][()], minlength=2).tolist() for n in files]))
    assert worst < 1e-5
    assert len(files) > 1 and all(len(set(h5py.File(n)["label"][()])) == 2 for n in files), "inputs not mixed"
    assert len(labels) == sum(len(v) for v in want.values())


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](*sys.argv[2:])
