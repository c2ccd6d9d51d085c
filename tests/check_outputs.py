"""Independent checks of a run's outputs (run with Debian's /usr/bin/python3).
Usage:
  check_outputs.py metrics PREDICTIONS.h5 LOG      weighted accuracy/AUC from the scores vs the printed summary
  check_outputs.py cuts PREDICTIONS.h5 LOG         the standard cuts' efficiencies and the CNN's rejection vs the log
  check_outputs.py checkpoint CKPT.h5 NETWORK       names, shapes, attributes, config
  check_outputs.py forward CKPT.h5 PRED.h5 TESTFILE a numpy hep64 forward from the checkpoint's weights
                                                    (PyTorch order) reproduces the model's scores
  check_outputs.py same A.h5 B.h5                   every dataset bitwise equal
  check_outputs.py close A.h5 B.h5 TOL              every dataset within TOL (max absolute difference)
  check_outputs.py loadable DIR                     every models/model-*.h5 opens and has every tensor
"""
import glob
import json
import re
import sys

import h5py
import numpy as np


def weighted_auc(score, positive, w):
    order = np.argsort(-score, kind="stable")
    s, p, w = score[order], positive[order], w[order]
    tp = fp = area = 0.0
    i = 0
    while i < len(s):
        j = i
        dtp = dfp = 0.0
        while j < len(s) and s[j] == s[i]:
            if p[j]:
                dtp += w[j]
            else:
                dfp += w[j]
            j += 1
        area += dfp * (tp + dtp / 2)
        tp += dtp
        fp += dfp
        i = j
    return area / (tp * fp)


def metrics(pred, log):
    f = h5py.File(pred)
    scores, label, weight = f["scores"][:], f["label"][:], f["weight"][:]
    acc = (weight * (scores.argmax(1) == label)).sum() / weight.sum()
    auc = weighted_auc(scores[:, 1], label == 1, weight)
    text = open(log).read()
    got_acc = float(re.findall(r"EVALUATION SUMMARY: step \d+ \(\d+\), average accu (\S+)", text)[-1])
    got_auc = float(re.findall(r"EVALUATION SUMMARY: step \d+ \(\d+\), average auc (\S+)", text)[-1])
    print("accuracy: printed %.6f, numpy %.6f; AUC: printed %.6f, numpy %.6f" % (got_acc, acc, got_auc, auc))
    assert abs(got_acc - acc) < 1e-5 and abs(got_auc - auc) < 1e-5


def cuts(pred, log):
    """The standard cuts' efficiencies and the CNN's background rejection at
    the same signal efficiency, recomputed from predictions-test.h5."""
    f = h5py.File(pred)
    score, label, weight, psr = f["scores"][:, 1], f["label"][:], f["weight"][:], f["psr"][:]
    sig, bkg = label == 1, label == 0
    cut_sig = (weight * psr)[sig].sum() / weight[sig].sum()
    cut_bkg = (weight * psr)[bkg].sum() / weight[bkg].sum()
    # the highest threshold (all events of a score together) selecting at least cut_sig of the signal
    order = np.argsort(-score, kind="stable")
    s_sorted, w_sorted, sig_sorted = score[order], weight[order], sig[order]
    cum_sig = np.cumsum(w_sorted * sig_sorted) / weight[sig].sum()
    last_of_score = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    i = np.nonzero(last_of_score & (cum_sig >= cut_sig * (1 - 1e-12)))[0][0]
    cnn_bkg = (w_sorted * ~sig_sorted)[:i + 1].sum() / weight[bkg].sum()
    text = open(log).read()
    got = re.findall(r"STANDARD CUTS: step \d+, signal efficiency (\S+), background rejection (\S+)", text)[-1]
    got_cnn = float(re.findall(r"CUTS' SIGNAL EFFICIENCY: step \d+, background rejection (\S+)", text)[-1])
    rejection = lambda eff: 1 / eff if eff > 0 else float("inf")
    def close(printed, want):   # printed with 6 digits; an infinite rejection prints as inf
        return printed == want if np.isinf(want) else abs(printed - want) <= 1e-5 * want
    print("cuts: signal efficiency %s, rejection %s printed; numpy %.6g, %.6g; CNN rejection printed %g, numpy %.6g"
          % (got[0], got[1], cut_sig, rejection(cut_bkg), got_cnn, rejection(cnn_bkg)))
    assert abs(float(got[0]) - cut_sig) < 1e-5 and close(float(got[1]), rejection(cut_bkg))
    assert close(got_cnn, rejection(cnn_bkg))


def checkpoint(path, network):
    f = h5py.File(path)
    assert f.attrs["format_version"] == 4
    name = f.attrs["network"]
    name = name.decode() if isinstance(name, bytes) else str(name)
    assert name == network, name
    cfg = json.loads(f.attrs["config"])
    assert "learning_rate" in cfg and "conv_params" in cfg
    for key in ("step", "epoch", "seed", "adam_step", "arch", "generator_version", "digest", "adam_digest"):
        assert key in f.attrs, key
    settings = json.loads(f.attrs["settings"])
    assert set(settings) == {"seed", "learning_rate", "weight_decay", "dropout_p", "optimizer", "global_batch",
                             "steps_per_epoch", "data", "loss_weight"}, settings
    assert settings["learning_rate"] == cfg["learning_rate"] and settings["seed"] == cfg["seed"]
    shapes = {"conv1/weight": (128, 3, 3, 3), "conv2/weight": (128, 128, 3, 3), "conv3/weight": (128, 128, 3, 3),
              "fc1/weight": (512, 8192), "fc2/weight": (2, 512), "conv1/bias": (128,), "fc1/bias": (512,)}
    for name, shape in shapes.items():
        for prefix in ("", "adam/m/", "adam/v/"):
            assert f[prefix + name].shape == shape, (prefix + name, f[prefix + name].shape)
    assert f["normalization/channel_max"].shape == (3,)
    assert (f["adam/v/conv2/weight"][:] >= 0).all()
    print("checkpoint %s: step %d, epoch %d, %d parameter tensors, Adam state, config, normalisation" %
          (path, f.attrs["step"], f.attrs["epoch"], len(shapes)))


def conv3x3(x, w, b):
    """x [n][c][h][w], w [k][c][3][3] (PyTorch order), 'same' padding."""
    n, c, h, wd = x.shape
    xp = np.zeros((n, c, h + 2, wd + 2), dtype=np.float64)
    xp[:, :, 1:-1, 1:-1] = x
    out = np.zeros((n, w.shape[0], h, wd))
    for r in range(3):
        for s in range(3):
            out += np.einsum("nchw,kc->nkhw", xp[:, :, r:r + h, s:s + wd], w[:, :, r, s])
    return out + b[None, :, None, None]


def forward(ckpt, pred, testfile):
    f, p, t = h5py.File(ckpt), h5py.File(pred), h5py.File(testfile)
    n = 4
    x = t["data"][:n].astype(np.float64) / f["normalization/channel_max"][:][None, :, None, None]
    for i in (1, 2, 3):
        x = np.maximum(conv3x3(x, f["conv%d/weight" % i][:], f["conv%d/bias" % i][:]), 0)
        x = x.reshape(x.shape[0], x.shape[1], x.shape[2] // 2, 2, x.shape[3] // 2, 2).max(axis=(3, 5))
    x = x.reshape(n, -1)                                  # flatten in C,H,W order
    x = np.maximum(x @ f["fc1/weight"][:].T + f["fc1/bias"][:], 0)
    z = x @ f["fc2/weight"][:].T + f["fc2/bias"][:]
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    got = p["scores"][:n]
    print("numpy forward from the checkpoint:", probs[:, 1], "model:", got[:, 1])
    assert np.abs(probs - got).max() < 1e-4


def dataset_names(f):
    names = []
    f.visit(lambda k: names.append(k) if isinstance(f[k], h5py.Dataset) else None)
    return names


def same(a, b):
    fa, fb = h5py.File(a), h5py.File(b)
    names = dataset_names(fa)
    differ = [k for k in names if not np.array_equal(fa[k][()], fb[k][()])]
    print("%d datasets compared, differing: %s" % (len(names), differ))
    assert names and not differ


def close(a, b, tol):
    fa, fb = h5py.File(a), h5py.File(b)
    names = dataset_names(fa)
    worst = max(float(np.abs(fa[k][()] - fb[k][()]).max()) for k in names)
    print("max |A - B| over %d datasets (weights and Adam): %.2e (tolerance %s)" % (len(names), worst, tol))
    assert worst <= float(tol)


def loadable(d):
    paths = sorted(glob.glob(d + "/models/model-*.h5"))
    for path in paths:
        with h5py.File(path) as f:
            for name in ("conv1/weight", "fc2/bias", "adam/v/fc1/weight", "normalization/channel_max"):
                f[name][()]
    print("%d complete checkpoint(s), all loadable: %s" % (len(paths), [p.split("/")[-1] for p in paths]))
    assert paths


if __name__ == "__main__":
    {"metrics": metrics, "cuts": cuts, "checkpoint": checkpoint, "forward": forward, "same": same,
     "close": close, "loadable": loadable}[sys.argv[1]](*sys.argv[2:])
