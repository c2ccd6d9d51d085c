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

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 300
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
sources = [open(f).read() for f in sorted(glob.glob("networks/*.lua") + glob.glob("tests/nets/tiny*.lua"))]
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


def main():
    work = "build/fuzz/networks"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    out = os.path.join(work, "out")
    counts = {"generated": 0, "rejected": 0}
    bad = []
    for it in range(iterations):
        path = os.path.join(work, "net_%d.lua" % it)
        with open(path, "w") as f:
            f.write(mutate(random.choice(sources)))
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        try:
            p = subprocess.run(["lua5.4", "gen/main.lua", path, "native", out], capture_output=True, text=True,
                               timeout=30)
        except subprocess.TimeoutExpired:
            bad.append((path, "hung for 30 s"))
            continue
        err = p.stderr.strip()
        if p.returncode == 0:
            ok = os.path.exists(os.path.join(out, "model.c"))
            counts["generated"] += 1
        else:
            # the user's own Lua errors come back as file:line: message
            ok = (err and "traceback" not in err and path in err and not os.listdir(out) and
                  ("attempt to" not in err or err.startswith(path + ":")))
            counts["rejected"] += 1
        if ok:
            os.remove(path)
        else:
            bad.append((path, err[:300] or "exit %d and no model.c" % p.returncode))
    for path, why in bad:
        print("BAD %s: %s" % (path, why))
    print("%d mutated network files: %d generated, %d rejected with a message, %d bad" %
          (iterations, counts["generated"], counts["rejected"] - sum(1 for _ in bad), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
