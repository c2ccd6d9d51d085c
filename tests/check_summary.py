"""The TensorBoard event file of a run, read with the tensorboard package's own
event reader, against logs/metrics.jsonl: the file_version record, steps
that never repeat or go backwards, and every record's values under the
expected tags (a restarted run's record of a step replaces the killed run's).
Usage: check_summary.py OUTPUTPATH   (run with build/venv's python)"""
import glob
import json
import sys

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

TAGS = {"train": {"train/loss": "loss", "train/learning_rate": "learning_rate", "train/images_per_s": "images_per_s"},
        "val": {"validation/loss": "loss", "validation/accuracy": "accuracy", "validation/auc": "auc"}}


def main(outputpath):
    files = glob.glob(outputpath + "/logs/events.out.tfevents.*")
    assert len(files) == 1, files
    events = list(EventFileLoader(files[0]).Load())
    assert events[0].file_version == "brain.Event:2", events[0]
    seen = {}          # (kind, step) -> {tag: value}
    last = {}          # kind -> last step
    for ev in events[1:]:
        # the reader turns simple_value scalars into scalar tensors (its data_compat)
        values = {v.tag: v.tensor.float_val[0] if v.HasField("tensor") else v.simple_value for v in ev.summary.value}
        kind = "train" if "train/loss" in values else "val"
        assert set(values) == set(TAGS[kind]), values
        assert ev.step > last.get(kind, 0), "step %d of %s after %d" % (ev.step, kind, last.get(kind, 0))
        last[kind] = ev.step
        seen[(kind, ev.step)] = values
    want = {}
    for line in open(outputpath + "/logs/metrics.jsonl"):
        r = json.loads(line)
        if r.get("eval", "train") in TAGS:
            want[(r.get("eval", "train"), r["step"])] = r
    assert set(seen) == set(want), (sorted(set(seen) ^ set(want)))
    for (kind, step), values in seen.items():
        for tag, key in TAGS[kind].items():
            got, expect = values[tag], want[(kind, step)][key]
            assert abs(got - expect) <= 1e-6 * abs(expect) + (1e-3 if key == "images_per_s" else 0), (tag, step, got, expect)
    print("%s: %d events (%d training, %d validation), steps %s, all equal to metrics.jsonl"
          % (files[0].split("/")[-1], len(events) - 1, sum(k == "train" for k, _ in seen),
             sum(k == "val" for k, _ in seen), sorted({s for _, s in seen})))


if __name__ == "__main__":
    main(*sys.argv[1:])
