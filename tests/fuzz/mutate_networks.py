#!/usr/bin/env python3
"""Mutation fuzzing of the generator: random edits of the network files
(numbers swapped for odd values, lines dropped or repeated, keys and layer
kinds exchanged, stray punctuation) are fed to gen/main.lua. Each must be
generated, or rejected with a message that names the file, with nothing
written; a Lua traceback, a generator-internal error or a hang is a bug.

usage: tests/fuzz/mutate_networks.py [ITERATIONS] [SEED]
Failing inputs are kept in build/fuzz/networks/ and listed; exit 1 if any."""
import glob
import os
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 300
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
SOURCES = [open(f).read() for f in sorted(glob.glob("networks/*.lua") + glob.glob("tests/nets/tiny*.lua"))]
VALUES = ["0", "-1", "1", "2", "3", "7", "65", "4096", "8194", "100000", "1000000000", "99999999999",
          "(1<<62)", "1e9", "0.5", "2^40", "-0", "1/0", "0/0", "math.huge", '"x"', "nil", "true", "{}", "{1}"]
KEYS = ["name", "filters", "size", "units", "channels", "height", "width", "stride", "padding", "global", "foo"]
KINDS = ["conv", "relu", "maxpool", "dropout", "dense", "flatten", "avgpool", "softmax_xent", "input", "network",
         "bogus"]


def swap_word(s, words, choices):
    found = list(re.finditer(r"\b(" + "|".join(words) + r")\b", s))
    if not found:
        return s
    m = random.choice(found)
    return s[:m.start()] + random.choice(choices) + s[m.end():]


def mutate(s):
    for _ in range(random.randint(1, 3)):
        r, lines = random.random(), s.split("\n")
        if r < 0.35:
            s = swap_word(s, [r"\d+"], VALUES)
        elif r < 0.5:
            del lines[random.randrange(len(lines))]
            s = "\n".join(lines)
        elif r < 0.6:
            lines.insert(random.randrange(len(lines)), random.choice(lines))
            s = "\n".join(lines)
        elif r < 0.75:
            s = swap_word(s, KEYS, KEYS)
        elif r < 0.9:
            s = swap_word(s, KINDS, KINDS)
        else:
            i = random.randrange(len(s))
            s = s[:i] + random.choice(["{", "}", ",", '"', "=", "(", ")", "", "x"]) + s[i + 1:]
    return s


def judge(work, it, source):
    """Generates the mutated file `source` of iteration `it` into an output
    folder of its own; returns (generated or not, why it is bad or None).
    A good input's file and folder are removed."""
    path, out = os.path.join(work, "net_%d.lua" % it), os.path.join(work, "out_%d" % it)
    with open(path, "w") as f:
        f.write(source)
    os.makedirs(out)
    try:
        p = subprocess.run(["lua5.4", "gen/main.lua", path, "native", out], capture_output=True, text=True,
                           timeout=30)
    except subprocess.TimeoutExpired:
        return False, (path, "hung for 30 s")
    err = p.stderr.strip()
    if p.returncode == 0:
        ok = os.path.exists(os.path.join(out, "model.c"))
    else:
        # the user's own Lua errors come back as file:line: message
        ok = (err and "traceback" not in err and path in err and not os.listdir(out) and
              ("attempt to" not in err or err.startswith(path + ":")))
    shutil.rmtree(out)
    if ok:
        os.remove(path)
        return p.returncode == 0, None
    return p.returncode == 0, (path, err[:300] or "exit %d and no model.c" % p.returncode)


def main():
    work = "build/fuzz/networks"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # drawn in order, so that a seed gives the same files; generated side by
    # side, one per CPU
    sources = [mutate(random.choice(SOURCES)) for _ in range(iterations)]
    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        results = list(pool.map(lambda it: judge(work, it, sources[it]), range(iterations)))
    bad = [why for _, why in results if why]
    generated = sum(1 for made, why in results if made and not why)
    for path, why in bad:
        print("BAD %s: %s" % (path, why))
    print("%d mutated network files: %d generated, %d rejected with a message, %d bad" %
          (iterations, generated, iterations - generated - len(bad), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
