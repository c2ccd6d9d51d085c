"""A hep64 or hep64_bn checkpoint loaded into PyTorch (nn.Conv2d, nn.BatchNorm2d,
nn.Linear; load_state_dict with the checkpoint's names, '/' read as '.')
reproduces the scores hepcnn's test mode wrote.
Usage: torch_load.py CHECKPOINT.h5 PREDICTIONS.h5 TESTFILE.h5 [ROWS]
Run with Debian's /usr/bin/python3 (python3-torch)."""
import collections
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn


def hep64_model(bn):
    layers = collections.OrderedDict()
    for i in (1, 2, 3):
        layers["conv%d" % i] = nn.Conv2d(3 if i == 1 else 128, 128, 3, padding=1, bias=not bn)
        if bn:
            layers["bn%d" % i] = nn.BatchNorm2d(128, eps=1e-4, momentum=0.1)
        layers["relu%d" % i] = nn.ReLU()
        layers["pool%d" % i] = nn.MaxPool2d(2)
    layers["flatten"] = nn.Flatten()
    layers["fc1"] = nn.Linear(128 * 8 * 8, 512)
    layers["relu"] = nn.ReLU()
    layers["fc2"] = nn.Linear(512, 2)
    return nn.Sequential(layers)


def main(ckpt, pred, testfile, rows="64"):
    f = h5py.File(ckpt)
    bn = "bn1" in f
    model = hep64_model(bn)
    state = {}
    f.visititems(lambda name, obj: state.__setitem__(name.replace("/", "."), torch.from_numpy(obj[()]))
                 if isinstance(obj, h5py.Dataset) and not name.startswith(("adam/", "normalization/")) else None)
    result = model.load_state_dict(state, strict=False)
    # num_batches_tracked only matters for momentum=None; nothing else may be missing or left over
    assert all(k.endswith("num_batches_tracked") for k in result.missing_keys), result.missing_keys
    assert not result.unexpected_keys, result.unexpected_keys
    n = int(rows)
    norm = torch.from_numpy(f["normalization/channel_max"][:]).view(1, -1, 1, 1)
    x = torch.from_numpy(h5py.File(testfile)["data"][:n].astype(np.float32)) / norm
    with torch.no_grad():
        probs = model.eval()(x).softmax(1).numpy()
    got = h5py.File(pred)["scores"][:n]
    worst = float(np.abs(probs - got).max())
    print("PyTorch %s (%s batch norm), %d test images: max |torch - hepcnn| %.2e"
          % (torch.__version__, "with" if bn else "without", n, worst))
    assert worst < 1e-4


if __name__ == "__main__":
    main(*sys.argv[1:])
