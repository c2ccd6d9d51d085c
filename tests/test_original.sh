# What the original benchmark's users rely on (sourced by tests/run.sh):
# learning-rate schedules in its format and meaning, the seed's schedule
# config unchanged, loss weighting as the seed.
echo "== the original benchmark's behaviour"
PY=/usr/bin/python3
G=$LOGDIR/original
rm -rf "$G"; mkdir -p "$G"
make --no-print-directory -s bin/hep64-native bin/hep224-native bin/hepcnn-datagen
MPI=(timeout 120 mpirun --allow-run-as-root --oversubscribe -x OMP_NUM_THREADS=1)
SHORT=(--config=configs/demo_64.json --dummy_data --trainsamples=192 --train_batch_size=16 --num_epochs=1
       --display_interval=1)

# the report lines' rates against TensorFlow's own formulas, written again
# here in Python (piecewise_constant with the original's prepended first
# rate; polynomial_decay from the first rate to the last)
rates_match() {
    local schedule=$1 out
    rm -rf "$G/lr"
    out=$(bin/hep64-native "${SHORT[@]}" --outputpath="$G/lr" "--learning_rate=$schedule") || { printf '%s\n' "$out"; return 1; }
    grep 'TRAINING REPORT' <<<"$out" | $PY -c '
import json, re, sys
s = json.loads(sys.argv[1]); pts = sorted((int(k), v) for k, v in s["learning_rate_params"].items())
b, r = [p[0] for p in pts], [p[1] for p in pts]
def tf_rate(x):   # x: the global step at the update
    if s["mode"] == "piecewise":
        values = r[:1] + r
        for i, bound in enumerate(b):
            if x <= bound: return values[i]
        return values[-1]
    t = min(x, b[-1])
    return (r[0] - r[-1]) * (1 - t / b[-1]) ** s.get("power", 1.0) + r[-1]
bad = 0
for line in sys.stdin:
    done = int(re.search(r"step (\d+) \(", line).group(1))
    got = float(re.search(r"average learning rate (\S+)", line).group(1))
    want = tf_rate(done - 1)
    ok = abs(got - want) <= 1e-5 * want
    bad += not ok
    print("step %d: rate %g, TensorFlow %g %s" % (done, got, want, "" if ok else "DIFFERENT"))
sys.exit(bad != 0)' "$schedule"
}
check "lr: piecewise schedule = TensorFlow's piecewise_constant as the original uses it" \
    rates_match '{"mode": "piecewise", "learning_rate_params": {"2": 0.001, "5": 0.0005, "8": 0.0001}}'
check "lr: polynomial schedule = TensorFlow's polynomial_decay (power 2)" \
    rates_match '{"mode": "polynomial", "power": 2.0, "learning_rate_params": {"0": 0.001, "3": 0.0007, "9": 0.0001}}'

lr_in_metrics() {
    $PY - "$G/lr/logs/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if "images_per_s" in l]
assert rows and all("learning_rate" in r for r in rows), rows[:2]
print(len(rows), "training records with learning_rate; last", rows[-1]["learning_rate"])
PY
}
check "lr: the rate is in logs/metrics.jsonl" lr_in_metrics

# parameter servers apply the same rates (keyed by the global step): sync
# with 1 server + 2 workers gives the allreduce's weights
SCHED='{"mode": "piecewise", "learning_rate_params": {"1": 0.002, "3": 0.0005}}'
lr_servers_agree() {
    local common=(--config=configs/demo_64.json --dummy_data --trainsamples=96 --num_epochs=1 --train_batch_size=16
                  --batch_size_per_node=false --display_interval=1 "--learning_rate=$SCHED")
    "${MPI[@]}" -np 2 bin/hep64-native "${common[@]}" --outputpath="$G/lr-ar" > "$G/lr-ar.out" &&
    "${MPI[@]}" -np 3 bin/hep64-native "${common[@]}" --num_ps=1 --outputpath="$G/lr-ps" > "$G/lr-ps.out" || return 1
    $PY tests/check_outputs.py close "$G/lr-ar/models/model-6.h5" "$G/lr-ps/models/model-6.h5" 1e-6
}
check "lr: parameter servers apply the schedule as the allreduce does" lr_servers_agree

lr_restart() {
    local common=("${SHORT[@]}" "--learning_rate=$SCHED" --checkpoint_steps=2 --checkpoint_keep=100)
    rm -rf "$G/lr-a" "$G/lr-b"
    bin/hep64-native "${common[@]}" --outputpath="$G/lr-a" > /dev/null || return 1
    mkdir -p "$G/lr-b/models" && cp "$G/lr-a/models/model-2.h5" "$G/lr-b/models/" &&
    bin/hep64-native "${common[@]}" --outputpath="$G/lr-b" > "$G/lr-b.out" || return 1
    grep -q "continuing at step 2 " "$G/lr-b.out" &&
        $PY tests/check_outputs.py same "$G/lr-a/models/model-12.h5" "$G/lr-b/models/model-12.h5"
}
check "lr: a restart inside the schedule ends bitwise equal" lr_restart

lr_changed() {
    expect_fail 'learning_rate: {"mode": "piecewise", "power": 1, "learning_rate_params": {"1": 0.002, "3": 0.0005}} in the checkpoint, 0.001 now' \
        bin/hep64-native "${SHORT[@]}" --outputpath="$G/lr-a" --num_epochs=2
}
check "lr: a restart with another schedule names both" lr_changed

seed_schedule() {
    local out
    out=$(bin/hep224-native --config=tests/seed_configs/gerty_knl_224_adam_small.json --dummy_data --trainsamples=32 \
          --num_epochs=1 --train_batch_size=8 --display_interval=1 --outputpath="$G/gerty" 2>&1) ||
        { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out" | grep -E 'TRAINING REPORT|note'
    # polynomial from 1e-4 at step 0 to 2e-4 at step 1000: step 4 uses global step 3
    grep -q 'TRAINING REPORT: step 4 (4), .*average learning rate 0.0001003$' <<<"$out"
}
check "lr: the seed's schedule config (gerty_knl_224_adam_small) runs unchanged" seed_schedule

# The seed's loss is unweighted; loss_weight=normweight weights it. With
# every normweight 2 the weighted loss is twice the unweighted one, in
# training (the same first step) and in evaluation (the same checkpoint).
loss_weighting() {
    rm -rf "$G/nw"; $PY tests/make_h5.py normweight2 "$G/nw" || return 1
    local run=(bin/hep64-native --config=configs/demo_64.json --inputpath="$G/nw" --train_batch_size=8 --num_epochs=1
               --display_interval=1 --validation_batch_size=16)
    rm -rf "$G/nw-0" "$G/nw-1"
    "${run[@]}" --outputpath="$G/nw-0" > "$G/nw-0.out" && "${run[@]}" --outputpath="$G/nw-1" --loss_weight=normweight \
        > "$G/nw-1.out" || return 1
    "${run[@]}" --outputpath="$G/nw-0" --mode=test >> "$G/nw-0.out" &&
        "${run[@]}" --outputpath="$G/nw-0" --mode=test --loss_weight=normweight >> "$G/nw-1.out" || return 1
    $PY - "$G/nw-0.out" "$G/nw-1.out" <<'PY'
import re, sys
def first(path, pattern):
    return float(re.search(pattern, open(path).read()).group(1))
train = r"TRAINING REPORT: step 1 \(4\), average loss (\S+) "
val = r"EVALUATION SUMMARY: step 4 \(4\), average loss (\S+)"
t0, t1 = first(sys.argv[1], train), first(sys.argv[2], train)
print("first step's loss: unweighted %g, weighted by normweight (all 2) %g" % (t0, t1))
assert abs(t1 / t0 - 2) < 1e-4, t1 / t0
v0, v1 = first(sys.argv[1], val), first(sys.argv[2], val)
print("test-mode loss of the same checkpoint: unweighted %g, weighted %g" % (v0, v1))
assert abs(v1 / v0 - 2) < 1e-4, v1 / v0
PY
}
check "loss: unweighted by default (the seed's); loss_weight=normweight weights it" loss_weighting

# Rows are mixed across files and windows: training on files written class
# by class reaches the validation AUC of the same files as written. A 1 MB
# read window (21 rows of 64x64) gives the proportions of 224x224 images
# (64 MB, about 110 rows) against files of thousands of rows. 4096 rows for
# 2 epochs: over 7 data seeds the two AUCs (0.81-0.86) differed by -0.021
# to +0.007, and with the training loader's shuffling turned off the sorted
# files gave 0.50-0.53 against 0.86 (2 seeds). (1024 rows gave AUCs of 0.54
# to 0.79 either way: a loss still near ln 2, too little to tell.)
sorted_auc() {
    rm -rf "$G/gen" "$G/sorted"
    bin/hepcnn-datagen --outdir="$G/gen" --train=2048 --train_files=2 --val=512 --test=1024 --seed=21 > /dev/null || return 1
    mkdir -p "$G/sorted" && cp "$G/gen/val_000.h5" "$G/sorted/" || return 1
    $PY - "$G/gen" "$G/sorted" <<'PY' || return 1
import sys, h5py, numpy as np
for name in ("train_000.h5", "train_001.h5"):
    with h5py.File(sys.argv[1] + "/" + name) as f, h5py.File(sys.argv[2] + "/" + name, "w") as g:
        order = np.argsort(f["label"][()], kind="stable")   # every background row first
        for k in f: g.create_dataset(k, data=f[k][()][order])
PY
    local run=(bin/hep64-native --config=configs/demo_64.json --train_batch_size=32 --num_epochs=2 --display_interval=100
               --validation_batch_size=128 --read_window_mb=1)
    rm -rf "$G/auc-shuffled" "$G/auc-sorted"
    "${run[@]}" --inputpath="$G/gen" --outputpath="$G/auc-shuffled" > "$G/auc-shuffled.out" &&
        "${run[@]}" --inputpath="$G/sorted" --outputpath="$G/auc-sorted" > "$G/auc-sorted.out" || return 1
    local a b
    a=$(grep 'EPOCH SUMMARY: step 256 .*average auc' "$G/auc-shuffled.out" | awk '{ print $NF }')
    b=$(grep 'EPOCH SUMMARY: step 256 .*average auc' "$G/auc-sorted.out" | awk '{ print $NF }')
    echo "validation AUC after 2 epochs: files as written $a, sorted by class $b"
    awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 0.75 && b >= a - 0.05) }'
}
check "shuffle: training on class-sorted files reaches the AUC of the files as written" sorted_auc

# The standard-cuts comparison on 1024 test events (the model trained above
# on the files as written): finite rejections, equal to numpy's from the
# predictions file.
cuts_comparison() {
    bin/hep64-native --config=configs/demo_64.json --inputpath="$G/gen" --outputpath="$G/auc-shuffled" --mode=test \
        > "$G/cuts.out" || return 1
    grep -E 'STANDARD CUTS|CUTS' "$G/cuts.out"
    grep -Eq "STANDARD CUTS: step 256, signal efficiency 0\.[0-9]+, background rejection [0-9.]+$" "$G/cuts.out" &&
        $PY tests/check_outputs.py cuts "$G/auc-shuffled/predictions-test.h5" "$G/cuts.out"
}
check "cuts: test mode prints the cuts' working point and the CNN's rejection there" cuts_comparison
check "memory: test mode refuses a test_batch_size too large for the memory, before loading" expect_fail \
    "test_batch_size gives a batch of 4096 images per rank, which needs" env HEPCNN_TEST_MEMORY_MIB=200 \
    bin/hep64-native --config=configs/demo_64.json --inputpath="$G/gen" --outputpath="$G/auc-shuffled" --mode=test \
    --test_batch_size=4096

# Batch normalisation (networks/hep64_bn.lua) under the seed's config with
# batch_norm: true: it trains; a restart is bitwise, running averages
# included; 2 ranks evaluate with rank 0's running averages (the ones its
# checkpoint holds); PyTorch's BatchNorm2d loaded from the checkpoint gives
# test mode's scores.
make --no-print-directory -s bin/hep64_bn-native
$PY - tests/seed_configs/cori_knl_64.json "$G/bn.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["batch_norm"] = True
json.dump(cfg, open(sys.argv[2], "w"), indent=4)
PY
BN=(bin/hep64_bn-native --config="$G/bn.json" --inputpath="$G/gen" --train_batch_size=16 --validation_batch_size=64
    --test_batch_size=64 --trainsamples=256 --display_interval=8 --learning_rate=0.001)
bn_trains() {
    rm -rf "$G/bn-a"
    "${BN[@]}" --outputpath="$G/bn-a" --num_epochs=2 > "$G/bn-a.out" 2>&1 || { cat "$G/bn-a.out"; return 1; }
    grep -E 'EPOCH SUMMARY.*auc|hep64_bn' "$G/bn-a.out"
    local auc
    auc=$(grep 'EPOCH SUMMARY: step 32 .*average auc' "$G/bn-a.out" | awk '{ print $NF }')
    awk -v a="$auc" 'BEGIN { exit !(a > 0.6) }' &&
        h5ls -r "$G/bn-a/models/model-32.h5" | grep -q '^/bn3/running_var *Dataset {128}'
}
check "batch norm: the seed's config with batch_norm: true trains hep64_bn (validation AUC > 0.6)" bn_trains
bn_restart() {
    rm -rf "$G/bn-b"
    "${BN[@]}" --outputpath="$G/bn-b" --num_epochs=1 > /dev/null &&
        "${BN[@]}" --outputpath="$G/bn-b" --num_epochs=2 --restart=true > "$G/bn-b.out" &&
        grep "resuming from $G/bn-b/models/model-16.h5" "$G/bn-b.out" &&
        $PY tests/check_outputs.py same "$G/bn-a/models/model-32.h5" "$G/bn-b/models/model-32.h5"
}
check "batch norm: 2 epochs = 1 + restart + 1, bitwise (weights, Adam, running averages)" bn_restart
bn_torch() {
    "${BN[@]}" --outputpath="$G/bn-a" --mode=test --test_max_steps=2 > "$G/bn-test.out" 2>&1 || { cat "$G/bn-test.out"; return 1; }
    $PY tests/torch_load.py "$G/bn-a/models/model-32.h5" "$G/bn-a/predictions-test.h5" "$G/gen/test_000.h5" 128
}
check "batch norm: the checkpoint in PyTorch (BatchNorm2d) reproduces test mode's scores" bn_torch
bn_two_ranks() {
    rm -rf "$G/bn-2"
    "${MPI[@]}" -np 2 "${BN[@]}" --outputpath="$G/bn-2" --num_epochs=1 > "$G/bn-2.out" 2>&1 ||
        { cat "$G/bn-2.out"; return 1; }
    # test mode on 1 rank from the 2-rank checkpoint gives the AUC the 2 ranks printed at the same step
    "${BN[@]}" --outputpath="$G/bn-2" --mode=test --test_batch_size=64 --inputpath="$G/bn-val" > "$G/bn-2t.out" 2>&1 ||
        { cat "$G/bn-2t.out"; return 1; }
    local a b
    a=$(grep 'EPOCH SUMMARY: step 16 .*average auc' "$G/bn-2.out" | awk '{ print $NF }')
    b=$(grep 'EVALUATION SUMMARY: step 16 .*average auc' "$G/bn-2t.out" | awk '{ print $NF }')
    echo "2 ranks at step 16: validation AUC $a; 1 rank, test mode from the checkpoint on the same files: $b"
    [ -n "$a" ] && [ "$a" = "$b" ]
}
mkdir -p "$G/bn-val" && cp "$G/gen/val_000.h5" "$G/bn-val/test_000.h5"
cp "$G/gen/train_000.h5" "$G/gen/train_001.h5" "$G/bn-val/" 2>/dev/null
check "batch norm: 2 ranks evaluate with rank 0's running averages (= test mode from its checkpoint)" bn_two_ranks
