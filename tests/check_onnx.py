"""An ONNX model from bin/hepcnn-export, run by onnxruntime on a test file's raw
images, gives the scores hepcnn's test mode wrote (predictions-test.h5, the
same rows in the same order on one rank), within TOL.
Usage: check_onnx.py MODEL.onnx PREDICTIONS.h5 TESTFILE.h5 [TOL]   (build/venv's python)"""
import sys

import h5py
import numpy as np
import onnxruntime


def main(model, pred, testfile, tol="1e-5"):
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    inputs, outputs = session.get_inputs(), session.get_outputs()
    assert [i.name for i in inputs] == ["images"] and [o.name for o in outputs] == ["probabilities"]
    scores = h5py.File(pred)["scores"][()]
    x = h5py.File(testfile)["data"][:len(scores)].astype(np.float32)
    probs = session.run(["probabilities"], {"images": x})[0]
    worst = float(np.abs(probs - scores).max())
    print("onnxruntime %s, %s: %d images, %d classes, max |onnx - hepcnn| %.2e (tolerance %s)"
          % (onnxruntime.__version__, model.split("/")[-1], len(x), probs.shape[1], worst, tol))
    assert probs.shape == scores.shape and worst <= float(tol)


if __name__ == "__main__":
    main(*sys.argv[1:])
