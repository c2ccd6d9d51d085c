#!/usr/bin/env python3
"""Derives Winograd F(m, 3) transforms from interpolation points, exactly
(fractions), and measures their fp32 error: how runtime/winograd.h's F(8, 3)
points were chosen.

    /usr/bin/python3 tools/winograd_points.py           # the error of F(4), F(6) and F(8) sets
    /usr/bin/python3 tools/winograd_points.py --search  # F(8): every 4 pairs of +-a from a list
    /usr/bin/python3 tools/winograd_points.py --show    # F(8)'s B^T, A^T and G as fractions

For points a_0 .. a_{n-2} and infinity (n = m + 2): A^T[i][j] = a_j^i, G's
row j = (1, a_j, a_j^2) / prod over l != j of (a_j - a_l), and B^T is the
one matrix for which A^T [(G g) . (B^T d)] is the convolution of d by g
(solved as a linear system). The error is that of a 2-D F(m x m, 3 x 3)
over 128 channels in fp32 against float64 direct convolution, relative to
the largest output, in the forward and in backward-weights (dY sparse as
after a 2x2 max-pool).
"""
import itertools
import sys
from fractions import Fraction as F

import numpy as np


def transforms(points, m, r=3):
    n = m + r - 1
    a = [F(p) for p in points]
    assert len(a) == n - 1, "need m + 1 finite points"
    AT = [[a[j] ** i for j in range(n - 1)] + [F(int(i == m - 1))] for i in range(m)]
    G = []
    for j in range(n - 1):
        f = F(1)
        for l in range(n - 1):
            if l != j:
                f *= a[j] - a[l]
        G.append([a[j] ** k / f for k in range(r)])
    G.append([F(0)] * (r - 1) + [F(1)])
    # sum_j AT[i][j] G[j][k] BT[j][t] = [t == i + k]: Gauss-Jordan over the n^2 unknowns
    rows = []
    for i in range(m):
        for k in range(r):
            for t in range(n):
                row = [F(0)] * (n * n) + [F(int(t == i + k))]
                for j in range(n):
                    row[j * n + t] = AT[i][j] * G[j][k]
                rows.append(row)
    pivots, top = [], 0
    for c in range(n * n):
        p = next((q for q in range(top, len(rows)) if rows[q][c] != 0), None)
        if p is None:
            continue
        rows[top], rows[p] = rows[p], rows[top]
        rows[top] = [x / rows[top][c] for x in rows[top]]
        for q in range(len(rows)):
            if q != top and rows[q][c] != 0:
                f = rows[q][c]
                rows[q] = [x - f * y for x, y in zip(rows[q], rows[top])]
        pivots.append(c)
        top += 1
    assert all(r_[-1] == 0 for r_ in rows[top:]), "no exact B^T for these points"
    assert len(pivots) == n * n, "B^T not unique"
    x = [F(0)] * (n * n)
    for q, c in enumerate(pivots):
        x[c] = rows[q][-1]
    BT = [[x[j * n + t] for t in range(n)] for j in range(n)]
    return AT, G, BT


def f32(M):
    return np.array([[float(v) for v in row] for row in M], dtype=np.float32)


def errors(points, m, tiles=64, channels=128, seed=0):
    AT, G, BT = (f32(M) for M in transforms(points, m))
    n, rng = m + 2, np.random.default_rng(seed)
    d = rng.standard_normal((tiles, channels, n, n)).astype(np.float32)
    g = rng.standard_normal((channels, 3, 3)).astype(np.float32)
    U = np.einsum('ij,cjk,lk->cil', G, g, G).astype(np.float32)
    V = np.einsum('ij,tcjk,lk->tcil', BT, d, BT).astype(np.float32)
    Y = np.einsum('ij,tjk,lk->til', AT, np.einsum('cil,tcil->til', U, V).astype(np.float32), AT)
    ref = sum(np.einsum('c,tcij->tij', g[:, a, b].astype(np.float64), d[:, :, a:a + m, b:b + m].astype(np.float64))
              for a in range(3) for b in range(3))
    forward = np.abs(Y - ref).max() / np.abs(ref).max()
    # backward-weights: dW = G^T [sum over tiles (A dY A^T) . V] G, one channel pair per row of d
    dy = rng.standard_normal((channels, tiles, m, m)).astype(np.float32)
    dy[:, :, 1::2, :] = 0
    dy[:, :, :, 1::2] = 0
    dd = d.transpose(1, 0, 2, 3)
    dM = np.einsum('ji,ptjk,kl->ptil', AT, dy, AT).astype(np.float32)
    dU = np.einsum('ptil,ptil->pil', dM, V.transpose(1, 0, 2, 3)).astype(np.float32)
    dW = np.einsum('ji,pjk,kl->pil', G, dU, G)
    ref_w = np.stack([np.einsum('ptij,ptij->p', dy.astype(np.float64), dd[:, :, a:a + m, b:b + m])
                      for a in range(3) for b in range(3)], axis=1).reshape(channels, 3, 3)
    weights = np.abs(dW - ref_w).max() / np.abs(ref_w).max()
    return forward, weights


SETS = {
    "F(4x4) 0 1 -1 2 -2": (4, [0, 1, -1, 2, -2]),
    "F(6x6) 0 1 -1 2 -2 1/2 -1/2": (6, [0, 1, -1, 2, -2, F(1, 2), F(-1, 2)]),
    "F(8x8) 0 1 -1 2 -2 1/2 -1/2 4 -4": (8, [0, 1, -1, 2, -2, F(1, 2), F(-1, 2), 4, -4]),
    "F(8x8) 0 2 -2 1/2 -1/2 5/4 -5/4 4/5 -4/5 (winograd.h)":
        (8, [0, 2, -2, F(1, 2), F(-1, 2), F(5, 4), F(-5, 4), F(4, 5), F(-4, 5)]),
}
CHOSEN = SETS["F(8x8) 0 2 -2 1/2 -1/2 5/4 -5/4 4/5 -4/5 (winograd.h)"][1]

if __name__ == "__main__":
    if "--show" in sys.argv:
        for name, M in zip(("B^T", "A^T", "G"), (lambda t: (t[2], t[0], t[1]))(transforms(CHOSEN, 8))):
            print(name)
            for row in M:
                print("  " + "  ".join(str(v) for v in row))
    elif "--search" in sys.argv:
        found = []
        for pairs in itertools.combinations([F(1), F(2), F(1, 2), F(3, 4), F(4, 3), F(3, 2), F(2, 3), F(1, 4),
                                             F(5, 4), F(4, 5)], 4):
            points = [0] + [s * a for a in pairs for s in (1, -1)]
            try:
                found.append((errors(points, 8, tiles=16), pairs))
            except AssertionError:
                continue
        for (fwd, wgt), pairs in sorted(found, key=lambda f: f[0][0])[:8]:
            print("forward %.1e  backward-weights %.1e  +-%s" % (fwd, wgt, " +-".join(str(a) for a in pairs)))
    else:
        for name, (m, points) in SETS.items():
            fwd, wgt = errors(points, m)
            print("%-56s forward %.1e  backward-weights %.1e" % (name, fwd, wgt))
