#!/usr/bin/env python3
"""Mutation fuzzing of the HDF5 data reader: copies of a small generated
dataset (plain, and gzip-compressed) with a few bytes of a training or
validation file overwritten, mostly in the first 8 KiB where HDF5 keeps
its superblock and object headers, or the file cut short. Each copy is
trained on for one epoch by bin/hep64-native. It must train (a changed
pixel value is still data) or stop with status 1 and a first error line
that names the file, with HDF5's own error stack kept quiet and a file
already in outputpath left as it was; a signal, another status, a hang
or a message without the file is a bug.

usage: tests/fuzz/mutate_h5.py [ITERATIONS] [SEED]
Failing inputs are kept in build/fuzz/h5/ and listed; exit 1 if any."""
import os
import random
import shutil
import subprocess
import sys

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 40
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
WORK = "build/fuzz/h5"
BINARY = "bin/hep64-native"


def make_base(name, compress):
    out = os.path.join(WORK, name)
    subprocess.run(["bin/hepcnn-datagen", "--outdir=" + out, "--size=64", "--train=48", "--val=16", "--test=16",
                    "--seed=3", "--compress=%d" % compress], check=True, stdout=subprocess.DEVNULL)
    return out


def mutate(data):
    """Returns the mutated bytes and what was done to them."""
    if random.random() < 0.05:
        cut = random.randrange(len(data))
        return data[:cut], "cut to %d bytes" % cut
    offsets = []
    for _ in range(random.randint(1, 4)):
        r = random.random()
        if r < 0.7:
            off = random.randrange(min(8192, len(data)))
        elif r < 0.8:
            off = len(data) - 1 - random.randrange(min(4096, len(data)))
        else:
            off = random.randrange(len(data))
        data[off] = random.randrange(256)
        offsets.append(off)
    return data, "bytes %s overwritten" % offsets


def run_once(base, it):
    """Returns the run's status and, when it misbehaved, why (the input is
    kept)."""
    case = os.path.join(WORK, "case")
    shutil.rmtree(case, ignore_errors=True)
    shutil.copytree(base, os.path.join(case, "in"))
    target = random.choice(["train_000.h5"] * 4 + ["val_000.h5"])
    path = os.path.join(case, "in", target)
    with open(path, "rb") as f:
        data, what = mutate(bytearray(f.read()))
    with open(path, "wb") as f:
        f.write(data)
    out = os.path.join(case, "out")
    os.makedirs(out)
    with open(os.path.join(out, "keep.txt"), "w") as f:
        f.write("earlier results\n")
    try:
        p = subprocess.run([BINARY, "--config=configs/demo_64.json", "--inputpath=" + os.path.join(case, "in"),
                            "--outputpath=" + out, "--num_epochs=1", "--train_batch_size=8"],
                           capture_output=True, text=True, timeout=60)
        status, text = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        status, text = "hung for 60 s", ""
    errors = [line for line in text.splitlines() if line.startswith("hepcnn: error:")]
    if status == 0:
        why = None
    elif status != 1:
        why = "status %s" % status
    elif not errors or target not in errors[0]:
        why = "no error line naming %s" % target
    elif "HDF5-DIAG" in text:
        why = "HDF5's error stack printed"
    else:
        why = None
    with open(os.path.join(out, "keep.txt")) as f:
        if f.read() != "earlier results\n":
            why = "outputpath's keep.txt changed"
    if why:
        kept = os.path.join(WORK, "bad_%d_%s" % (it, target))
        shutil.copy(path, kept)
        return status, "%s (%s, %s): %s" % (kept, what, why, text.strip()[-300:])
    return status, None


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    bases = [make_base("plain", 0), make_base("gzip", 4)]
    counts = {0: 0, 1: 0}
    bad = []
    for it in range(iterations):
        status, why = run_once(bases[it % 2], it)
        if why:
            bad.append(why)
        else:
            counts[status] += 1
    for why in bad:
        print("BAD " + why)
    print("%d mutated data files: %d trained, %d refused with a message naming the file, %d bad" %
          (iterations, counts[0], counts[1], len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
