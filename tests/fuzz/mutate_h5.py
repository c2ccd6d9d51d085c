#!/usr/bin/env python3
"""Mutation fuzzing of what hepcnn reads from HDF5: copies of a file with a
few bytes overwritten, mostly in the first 16 KiB where HDF5 keeps its
superblock, object headers and chunk index, or the file cut short.

  data         a training or validation file of a small generated dataset
               (plain, and gzip-compressed), trained on for one epoch.
  checkpoints  the checkpoint of a run's first epoch, resumed for a second.
  export       the same checkpoint, exported by bin/hepcnn-export.

A run must end well or stop with status 1 and a first error line naming
the file, with HDF5's own error stack kept quiet and a file already in
outputpath (or an ONNX file already at the export's path) left as it was;
a resumed checkpoint must end with weights bitwise equal to those of the
unaltered one (the bytes changed were not used), and an export must write
the unaltered one's model bitwise. A signal, another status, a hang, a
message without the file, other final weights or another model is a bug.

usage: tests/fuzz/mutate_h5.py data|checkpoints|export [ITERATIONS] [SEED]
       (MUTATE_H5_BIN=DIR: DIR/hep64-native and DIR/hepcnn-export, not bin/'s;
        MUTATE_H5_WORK=DIR: the runs' folder, which it empties, not build/fuzz/h5)
(Debian's python3: the checkpoint comparison needs h5py.) Failing inputs
are kept in build/fuzz/h5-bad/ (which a later run adds to, never empties)
and listed; exit 1 if any."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

mode = sys.argv[1] if len(sys.argv) > 1 else "data"
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 40
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
random.seed(seed)
WORK = os.environ.get("MUTATE_H5_WORK", "build/fuzz/h5")
BAD = "build/fuzz/h5-bad"   # outside WORK, which each run empties: the next mode's run keeps them
# MUTATE_H5_BIN: the folder of hep64-native and hepcnn-export (make test's
# sanitizer suite gives build/san).
BIN = os.environ.get("MUTATE_H5_BIN", "bin")
BINARY, EXPORT = os.path.join(BIN, "hep64-native"), os.path.join(BIN, "hepcnn-export")
TRAIN = [BINARY, "--config=configs/demo_64.json", "--train_batch_size=8"]


def make_data(name, compress):
    out = os.path.join(WORK, name)
    subprocess.run(["bin/hepcnn-datagen", "--outdir=" + out, "--size=64", "--train=48", "--val=16", "--test=16",
                    "--seed=3", "--compress=%d" % compress], check=True, stdout=subprocess.DEVNULL)
    return out


def draw_mutation(size, head):
    """What to do to a file of `size` bytes: 1-4 bytes overwritten (70% of
    them in its first `head` bytes), or the file cut short. Drawn apart from
    the runs, in the order of the iterations, so that a seed names the same
    mutations however many runs go side by side."""
    if random.random() < 0.05:
        return ("cut", random.randrange(size))
    writes = []
    for _ in range(random.randint(1, 4)):
        r = random.random()
        if r < 0.7:
            off = random.randrange(min(head, size))
        elif r < 0.8:
            off = size - 1 - random.randrange(min(4096, size))
        else:
            off = random.randrange(size)
        writes.append((off, random.randrange(256)))
    return ("write", writes)


def apply_mutation(path, mutation):
    """Does the drawn mutation to the file; returns what was done."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    kind, detail = mutation
    if kind == "cut":
        data, what = data[:detail], "cut to %d bytes" % detail
    else:
        for off, byte in detail:
            data[off] = byte
        what = "bytes %s overwritten" % [off for off, _ in detail]
    with open(path, "wb") as f:
        f.write(bytes(data))
    return what


def judged(args, named, error_prefix):
    """Runs a command on a mutated file; returns its status and why it
    misbehaved, or None."""
    # Open MPI puts every singleton's session files in one directory under
    # TMPDIR, which the first to end removes while the next may be making
    # it: MPI_Init then fails, rarely, where runs start side by side (once in
    # a make test). Each run gets a TMPDIR of its own.
    try:
        with tempfile.TemporaryDirectory(prefix="hepcnn-mpi-") as tmp:
            p = subprocess.run(args, capture_output=True, timeout=120, env=dict(os.environ, TMPDIR=tmp))
        status, raw = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return "hung", "hung for 120 s"
    text = raw.decode("utf-8", errors="backslashreplace")
    errors = [line for line in text.splitlines() if line.startswith(error_prefix)]
    if text.encode("utf-8", errors="backslashreplace") != raw or any(c < " " and c not in "\n\t" for c in text):
        return status, "printed bytes that are not UTF-8 text, or control characters: %r" % errors[:1]
    if status not in (0, 1):
        # a sanitizer's report: its first line and summary, not the shadow legend at its end
        report = [line for line in text.splitlines() if "ERROR: AddressSanitizer" in line or
                  "runtime error:" in line or line.startswith("SUMMARY:")]
        return status, "status %s: %s" % (status, " / ".join(report[:3]) if report else text.strip()[-300:])
    if status == 1 and (not errors or named not in errors[0]):
        return status, "no error line naming %s: %s" % (named, text.strip()[-300:])
    if "HDF5-DIAG" in text:
        return status, "HDF5's error stack printed"
    return status, None


def run(args, named, out):
    """Runs hepcnn with outputpath `out` (which holds keep.txt); returns its
    status and why it misbehaved, or None."""
    with open(os.path.join(out, "keep.txt"), "w") as f:
        f.write("earlier results\n")
    status, why = judged(args + ["--outputpath=" + out], named, "hepcnn: error:")
    with open(os.path.join(out, "keep.txt")) as f:
        if f.read() != "earlier results\n":
            why = "outputpath's keep.txt changed"
    return status, why


def data_draw(bases, it):
    base = bases[it % 2]
    target = random.choice(["train_000.h5"] * 4 + ["val_000.h5"])
    return base, target, draw_mutation(os.path.getsize(os.path.join(base, target)), 8192)


def data_case(bases, drawn, case):
    base, target, mutation = drawn
    shutil.copytree(base, os.path.join(case, "in"))
    path = os.path.join(case, "in", target)
    what = apply_mutation(path, mutation)
    os.makedirs(os.path.join(case, "out"))
    status, why = run(TRAIN + ["--inputpath=" + os.path.join(case, "in"), "--num_epochs=1"], target,
                      os.path.join(case, "out"))
    return status, why and (path, what, why)


def datasets(path):
    import h5py   # Debian's python3-h5py (make deps)
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def first_epoch():
    """The command line of a small run and the folder of its first epoch."""
    args, base = TRAIN + ["--inputpath=" + make_data("data", 0)], os.path.join(WORK, "run")
    subprocess.run(args + ["--outputpath=" + base, "--num_epochs=1"], check=True, capture_output=True)
    os.remove(os.path.join(base, ".hepcnn.lock"))
    return args, base


def checkpoint_base():
    """A first epoch's run folder and the weights its unaltered checkpoint
    resumes to."""
    args, base = first_epoch()
    ref = os.path.join(WORK, "reference")
    shutil.copytree(base, ref)
    subprocess.run(args + ["--outputpath=" + ref, "--num_epochs=2"], check=True, capture_output=True)
    return args, base, datasets(os.path.join(ref, "models", "model-12.h5"))


def checkpoint_draw(bases, it):
    return draw_mutation(os.path.getsize(os.path.join(bases[1], "models", "model-6.h5")), 16384)


def checkpoint_case(bases, mutation, case):
    import numpy
    args, base, reference = bases
    shutil.copytree(base, case)
    path = os.path.join(case, "models", "model-6.h5")
    what = apply_mutation(path, mutation)
    status, why = run(args + ["--num_epochs=2"], "model-6.h5", case)
    if status == 0 and not why:
        try:
            final = datasets(os.path.join(case, "models", "model-12.h5"))
            same = final.keys() == reference.keys() and all(numpy.array_equal(final[k], reference[k])
                                                             for k in reference)
        except (OSError, KeyError):
            same = False
        why = None if same else "resumed to other weights than the unaltered checkpoint's"
    return status, why and (path, what, why)


def export_base():
    """A first epoch's checkpoint and the ONNX model of it unaltered."""
    path = os.path.join(first_epoch()[1], "models", "model-6.h5")
    onnx = os.path.join(WORK, "reference.onnx")
    subprocess.run([EXPORT, path, onnx], check=True, capture_output=True)
    with open(onnx, "rb") as f:
        return path, f.read()


def export_draw(bases, it):
    return draw_mutation(os.path.getsize(bases[0]), 16384)


def export_case(bases, mutation, case):
    source, reference = bases
    os.makedirs(case)
    path, onnx = os.path.join(case, "model-6.h5"), os.path.join(case, "model.onnx")
    shutil.copy(source, path)
    what = apply_mutation(path, mutation)
    with open(onnx, "wb") as f:
        f.write(b"an earlier export\n")
    status, why = judged([EXPORT, path, onnx], "model-6.h5", "hepcnn-export: error:")
    with open(onnx, "rb") as f:
        written = f.read()
    if not why and status == 0 and written != reference:
        why = "exported another model than the unaltered checkpoint's"
    elif not why and status == 1 and written != b"an earlier export\n":
        why = "the ONNX file already at the export's path changed"
    elif not why and sorted(os.listdir(case)) != ["model-6.h5", "model.onnx"]:
        why = "left files behind: %s" % sorted(os.listdir(case))
    return status, why and (path, what, why)


def judge_case(case, bases, drawn, it):
    """Runs iteration `it` in a folder of its own (removed after it; a
    failing input is kept in BAD); returns its status and its failure."""
    folder = os.path.join(WORK, "case-%d" % it)   # new: main empties WORK first
    status, failure = case(bases, drawn, folder)
    if failure:
        os.makedirs(BAD, exist_ok=True)
        kept = os.path.join(BAD, "%s_seed%s_%d_%s" % (mode, seed, it, os.path.basename(failure[0])))
        shutil.copy(failure[0], kept)
        failure = "%s (%s): %s" % (kept, failure[1], failure[2])
    shutil.rmtree(folder, ignore_errors=True)
    return status, failure


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    if mode == "data":
        bases, draw, case, noun = [make_data("plain", 0), make_data("gzip", 4)], data_draw, data_case, "data files"
    elif mode == "checkpoints":
        bases, draw, case, noun = checkpoint_base(), checkpoint_draw, checkpoint_case, "checkpoints"
    elif mode == "export":
        bases, draw, case, noun = export_base(), export_draw, export_case, "checkpoints exported"
    else:
        sys.exit("usage: tests/fuzz/mutate_h5.py data|checkpoints|export [ITERATIONS] [SEED]")
    # Each run is a process of its own, most of it start-up on one core:
    # as many side by side as there are CPUs.
    drawn = [draw(bases, it) for it in range(iterations)]
    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        results = list(pool.map(lambda it: judge_case(case, bases, drawn[it], it), range(iterations)))
    counts = {0: 0, 1: 0}
    bad = [failure for _, failure in results if failure]
    for status, failure in results:
        if not failure:
            counts[status] += 1
    for why in bad:
        print("BAD " + why)
    print("%d mutated %s: %d ran to the end, %d refused with a message naming the file, %d bad" %
          (iterations, noun, counts[0], counts[1], len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
