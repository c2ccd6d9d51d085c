# Training-run outputs (sourced by tests/run.sh): the seed's report and
# evaluation lines, metrics against an independent numpy computation,
# checkpoint contents and order, bitwise restart, kill -9 while checkpoints
# are written, test mode, NaN detection, logs, SVG plots (the loss curve
# across restarts), timeline.
echo "== training outputs"
PY=/usr/bin/python3
O=$LOGDIR/outputs
rm -rf "$O"; mkdir -p "$O"
make --no-print-directory -s bin/hep64-native bin/hep64_4class-native bin/hepcnn-datagen bin/hepcnn-export
bin/hepcnn-datagen --outdir="$O/data" --train=128 --train_files=2 --val=96 --test=80 --seed=3 >/dev/null
RUN=(bin/hep64-native --config=configs/demo_64.json --inputpath="$O/data" --train_batch_size=16
     --validation_batch_size=32 --trainsamples=256 --display_interval=4)

report_lines() {
    local out
    out=$("${RUN[@]}" --outputpath="$O/a" --num_epochs=2 --validation_interval=12) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    local num='[0-9]+\.[0-9]{3}' val='[-0-9.e+]+|nan|-?inf'
    grep -Eq "^$num TRAINING REPORT: step 4 \(32\), average loss ($val) \([0-9.]+ sec/batch\), average learning rate 0.001$" <<<"$out" &&
    grep -Eq "^$num EVALUATION REPORT: step 12 \(32\), average loss ($val)$" <<<"$out" &&
    grep -Eq "^$num EVALUATION REPORT: step 12 \(32\), average accu ($val)$" <<<"$out" &&
    grep -Eq "^$num EVALUATION REPORT: step 12 \(32\), average auc ($val)$" <<<"$out" &&
    grep -Eq "^$num EVALUATION EPOCH SUMMARY: step 16 \(32\), average loss ($val)$" <<<"$out" &&
    grep -Eq "^$num EVALUATION EPOCH SUMMARY: step 32 \(32\), average auc ($val)$" <<<"$out" &&
    [ "$(grep -c 'TRAINING REPORT' <<<"$out")" -eq 8 ] && [ "$(grep -c 'EVALUATION EPOCH SUMMARY' <<<"$out")" -eq 6 ]
}
check "outputs: report and evaluation lines in the seed's format" report_lines
# A report's sec/batch leaves out the evaluations in its window, and only
# them: steps 1-24 span the epoch end at 16 (with its first step, the
# slowest), 25-32 none. Counting only the steps after the evaluation made
# the first about a third of the second.
report_time() {
    local out
    out=$("${RUN[@]}" --outputpath="$O/time" --num_epochs=2 --display_interval=24) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    grep -q 'EVALUATION EPOCH SUMMARY: step 16 ' <<<"$out" || return 1
    sed -n 's/.*TRAINING REPORT: step \(24\|32\) .*(\([0-9.]*\) sec\/batch).*/\2/p' <<<"$out" | paste -sd' ' |
        awk '{ print "sec/batch, steps 1-24:", $1, "25-32:", $2; exit !(NF == 2 && $1 >= 0.6 * $2) }'
}
check "outputs: a report's sec/batch leaves out the evaluation in its window" report_time

check "outputs: checkpoint names, shapes, Adam state, attributes" $PY tests/check_outputs.py checkpoint "$O/a/models/model-32.h5" hep64

test_mode() {
    "${RUN[@]}" --outputpath="$O/a" --mode=test --test_batch_size=24 > "$O/test.out" || return 1
    cat "$O/test.out"
    grep -Eq 'EVALUATION SUMMARY: step 32 \(32\), average auc' "$O/test.out" &&
        h5ls "$O/a/predictions-test.h5" | grep -q 'scores *Dataset {80, 2}' &&
        h5ls "$O/a/predictions-test.h5" | grep -q 'psr *Dataset {80}'
}
check "outputs: --mode=test evaluates the latest checkpoint, writes predictions" test_mode
check "outputs: weighted accuracy and AUC equal numpy's from the scores" $PY tests/check_outputs.py metrics "$O/a/predictions-test.h5" "$O/test.out"
check "outputs: the standard cuts and the CNN at their signal efficiency equal numpy's" $PY tests/check_outputs.py cuts "$O/a/predictions-test.h5" "$O/test.out"
cut_plots() {
    xmllint --noout "$O/a/plots/roc_test.svg" "$O/a/plots/roc_test_zoom.svg" "$O/a/plots/roc_zoom.svg" &&
    grep -q 'data-name="standard cuts (psr)"' "$O/a/plots/roc_test.svg" &&
    grep -q 'data-name="CNN at the cuts' "$O/a/plots/roc_test.svg" &&
    grep -q 'data-name="standard cuts (psr)"' "$O/a/plots/roc_test_zoom.svg" &&
    grep -q 'false positive rate' "$O/a/plots/roc_test_zoom.svg" &&
    grep -q 'data-name="standard cuts (psr)"' "$O/a/plots/roc.svg"
}
check "outputs: ROC plots mark the standard cuts; zoomed plots of the low false positive rates" cut_plots
test_mode_two_ranks() {
    timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 "${RUN[@]}" --outputpath="$O/a" \
        --mode=test --test_batch_size=24 > "$O/test2.out" || return 1
    cat "$O/test2.out"
    h5ls "$O/a/predictions-test.h5" | grep -q 'psr *Dataset {80}' &&
        $PY tests/check_outputs.py cuts "$O/a/predictions-test.h5" "$O/test2.out"
}
check "outputs: test mode on 2 ranks: predictions with psr, the same cuts comparison" test_mode_two_ranks
check "outputs: numpy forward from the checkpoint (PyTorch order) gives the scores" \
    $PY tests/check_outputs.py forward "$O/a/models/model-32.h5" "$O/a/predictions-test.h5" "$O/data/test_000.h5"

restart_bitwise() {
    "${RUN[@]}" --outputpath="$O/b" --num_epochs=1 > /dev/null &&
    "${RUN[@]}" --outputpath="$O/b" --num_epochs=2 > "$O/b.out" &&
    grep "resuming from $O/b/models/model-16.h5" "$O/b.out" &&
    $PY tests/check_outputs.py same "$O/a/models/model-32.h5" "$O/b/models/model-32.h5"
}
check "outputs: 2 epochs = 1 epoch + restart + 1 epoch, bitwise" restart_bitwise
checkpoint_id() {
    "${RUN[@]}" --outputpath="$O/a" --mode=test --checkpoint_id=16 > "$O/id.out" &&
        grep "testing $O/a/models/model-16.h5 (step 16)" "$O/id.out"
}
check "outputs: --checkpoint_id picks a checkpoint" checkpoint_id
# $O/a holds steps 16 and 32: a step without a checkpoint is named as such,
# in test mode and when resuming, with the newest there (it was called an
# unreadable HDF5 file); a negative id other than -1 is refused.
checkpoint_id_missing() {
    local want="--checkpoint_id=20: $O/a/models has no checkpoint of that step ($O/a/models/model-20.h5: No such file or directory); its newest is step 32"
    expect_fail "$want" "${RUN[@]}" --outputpath="$O/a" --mode=test --checkpoint_id=20 &&
        expect_fail "$want" "${RUN[@]}" --outputpath="$O/a" --num_epochs=3 --checkpoint_id=20 &&
        expect_fail "command line (--checkpoint_id): checkpoint_id must be a checkpoint's step (or -1, the newest), got -2" \
            "${RUN[@]}" --outputpath="$O/a" --mode=test --checkpoint_id=-2 &&
        [ "$(ls "$O/a/models")" = "$(printf 'model-16.h5\nmodel-32.h5')" ]
}
check "outputs: a --checkpoint_id without its checkpoint is named, with the newest; nothing written" checkpoint_id_missing

# kill -9 while checkpoints are being written: one-step epochs, a 50 MB
# checkpoint after every step; every complete checkpoint must load.
kill_during_checkpoints() {
    local i
    for i in 1 2 3 4 5; do
        "${RUN[@]}" --outputpath="$O/k" --trainsamples=16 --num_epochs=200 --save_interval=1 > /dev/null 2>&1 &
        local pid=$! waited=0
        # Start-up time varies a lot between machines, so wait for the run's
        # first checkpoint of this round, then kill at a different point of
        # the write cycle each round.
        local before
        before=$(ls "$O/k/models" 2>/dev/null | wc -l)
        while [ "$(ls "$O/k/models" 2>/dev/null | wc -l)" -le "$before" ] && [ $waited -lt 600 ] &&
            kill -0 $pid 2>/dev/null; do
            sleep 0.1; waited=$((waited + 1))
        done
        sleep "$(awk -v i=$i 'BEGIN { print 0.13 * i }')"
        kill -9 $pid; wait $pid 2>/dev/null
        $PY tests/check_outputs.py loadable "$O/k" || return 1
    done
    # and the run resumes from the newest
    "${RUN[@]}" --outputpath="$O/k" --trainsamples=16 --num_epochs=1 > "$O/k.out" && grep -E "resuming from|already done" "$O/k.out" &&
        rm -rf "$O/k"
}
check "outputs: kill -9 during checkpoint writes leaves loadable checkpoints" kill_during_checkpoints

# A damaged newest checkpoint: the run stops naming it and the previous one,
# leaves it as it was, and --checkpoint_id resumes from the previous one.
damaged_checkpoint() {
    rm -rf "$O/dmg"
    "${RUN[@]}" --outputpath="$O/dmg" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    $PY -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[0:64] = bytes(64); open(p, "wb").write(b)' \
        "$O/dmg/models/model-4.h5"
    local before
    before=$(md5sum < "$O/dmg/models/model-4.h5")
    expect_fail "model-4.h5: not a readable HDF5 checkpoint; the previous checkpoint is step 2: use it with --checkpoint_id=2" \
        "${RUN[@]}" --outputpath="$O/dmg" --trainsamples=32 --num_epochs=3 || return 1
    expect_fail "the previous checkpoint is step 2: use it with --checkpoint_id=2" \
        "${RUN[@]}" --outputpath="$O/dmg" --mode=test || return 1
    [ "$(md5sum < "$O/dmg/models/model-4.h5")" = "$before" ] || { echo "the damaged file was changed"; return 1; }
    "${RUN[@]}" --outputpath="$O/dmg" --trainsamples=32 --num_epochs=3 --checkpoint_id=2 > "$O/dmg.out" &&
        grep -q "resuming from .*model-2.h5" "$O/dmg.out" && $PY tests/check_outputs.py loadable "$O/dmg"
}
check "outputs: a damaged newest checkpoint is named, kept, and skipped with --checkpoint_id" damaged_checkpoint

# A whole checkpoint that is not this binary's (another network's, a newer
# format's) is no damaged one: the error says what to use instead, and does
# not offer the checkpoint before it (no better); the files stay as they were.
foreign_checkpoint() {
    rm -rf "$O/foreign"
    "${RUN[@]}" --outputpath="$O/foreign" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    local before other=(bin/hep64_4class-native "${RUN[@]:1}" --outputpath="$O/foreign")
    before=$(cat "$O/foreign/models/"*.h5 | md5sum)
    local want="model-4.h5: a checkpoint of network 'hep64', but this binary is hep64_4class: use a hep64 binary for it (make NET=hep64), or give this run another --outputpath"
    expect_fail "$want" "${other[@]}" --trainsamples=32 --num_epochs=3 > "$O/foreign.out" &&
        expect_fail "$want" "${other[@]}" --mode=test >> "$O/foreign.out" || { cat "$O/foreign.out"; return 1; }
    if grep -q "previous checkpoint" "$O/foreign.out"; then echo "offered an earlier checkpoint"; return 1; fi
    [ "$(cat "$O/foreign/models/"*.h5 | md5sum)" = "$before" ] || { echo "a checkpoint was changed"; return 1; }
    $PY -c 'import sys, h5py; h5py.File(sys.argv[1], "r+").attrs["format_version"] = 99' "$O/foreign/models/model-4.h5" &&
        expect_fail "model-4.h5: format_version 99, from a newer hepcnn (this build reads 1 to" \
            "${RUN[@]}" --outputpath="$O/foreign" --mode=test > "$O/foreign.out" || { cat "$O/foreign.out"; return 1; }
    ! grep -q "previous checkpoint" "$O/foreign.out"
}
check "outputs: another network's or a newer format's checkpoint: what to use instead, nothing changed" foreign_checkpoint
# A checkpoint another program has open for writing (h5py in r+ mode) is
# said to be locked, by the binary and by the exporter, with no earlier
# checkpoint offered (it is not damaged); once closed, it is tested.
locked_checkpoint() {
    local pid ck="$O/foreign/models/model-4.h5" want="another program holds it locked (still writing it?)"
    rm -f "$O/locked.ready"
    $PY -c 'import sys, time, h5py; f = h5py.File(sys.argv[1], "r+"); open(sys.argv[2], "w").close(); time.sleep(60)' \
        "$ck" "$O/locked.ready" &
    pid=$!
    for _ in $(seq 300); do [ -e "$O/locked.ready" ] && break; sleep 0.1; done
    expect_fail "$ck: $want" "${RUN[@]}" --outputpath="$O/foreign" --mode=test > "$O/locked.out" &&
        expect_fail "$ck: $want" bin/hepcnn-export "$ck" "$O/locked.onnx" >> "$O/locked.out" ||
        { kill $pid; cat "$O/locked.out"; return 1; }
    kill $pid; wait $pid 2>/dev/null
    cat "$O/locked.out"
    ! grep -q "previous checkpoint" "$O/locked.out" && [ ! -e "$O/locked.onnx" ] &&
        "${RUN[@]}" --outputpath="$O/foreign" --mode=test --checkpoint_id=2 > /dev/null
}
check "outputs: a checkpoint another program has open for writing is said to be locked (binary, export), nothing offered" \
    locked_checkpoint

# copy_checkpoint NAME: outputpath $O/NAME afresh, holding a good model-2.h5
# for a check to damage.
copy_checkpoint() {
    rm -rf "${O:?}/$1" && mkdir -p "$O/$1/models" && cp "$O/foreign/models/model-2.h5" "$O/$1/models/model-2.h5"
}

# A tensor with the network's rank but other extents is an edited network's
# (a file keeps its name when its units change); another rank, up to
# HDF5's 32, is damage, and neither the binary nor the exporter may write
# past their shape buffers reading it (both crashed on rank 12 and 20).
reshaped_tensors() {
    copy_checkpoint reshaped || return 1
    local ckpt="$O/reshaped/models/model-2.h5"
    $PY - "$ckpt" <<'PY' || return 1
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    del f["conv1/bias"]; f["conv1/bias"] = np.zeros(64, np.float32)
PY
    expect_fail "model-2.h5: dataset 'conv1/bias' has shape {64}, but the compiled network's conv1/bias is {128}: a checkpoint of another version of the network (edited since?)" \
        "${RUN[@]}" --outputpath="$O/reshaped" --mode=test || return 1
    $PY - "$ckpt" <<'PY' || return 1
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    del f["conv1/bias"]; f["conv1/bias"] = np.zeros([1] * 20, np.float32)
    del f["normalization/channel_max"]; f["normalization/channel_max"] = np.ones([1] * 12, np.float32)
PY
    expect_fail "model-2.h5: dataset 'conv1/bias' has shape {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, but the compiled network's conv1/bias is {128} (damaged?)" \
        "${RUN[@]}" --outputpath="$O/reshaped" --mode=test || return 1
    expect_fail "model-2.h5: dataset 'conv1/bias' is not a tensor of 1 to 4 dimensions" \
        bin/hepcnn-export "$ckpt" "$O/reshaped/x.onnx" || return 1
    $PY - "$ckpt" <<'PY' || return 1
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    del f["conv1/bias"]; f["conv1/bias"] = np.zeros(128, np.float32)
PY
    expect_fail "model-2.h5: dataset 'normalization/channel_max' missing, not [3] or damaged" \
        "${RUN[@]}" --outputpath="$O/reshaped" --mode=test &&
        expect_fail "model-2.h5: dataset 'normalization/channel_max' is not a tensor of 1 to 4 dimensions" \
            bin/hepcnn-export "$ckpt" "$O/reshaped/x.onnx" && [ ! -e "$O/reshaped/x.onnx" ]
}
check "outputs: a tensor of other extents is an edited network's; of rank 12 or 20, damage (no crash, binary or export)" \
    reshaped_tensors

# An attribute with many values where one belongs: HDF5 reads them all into
# the reader's one-value buffer, so both readers crashed (segfault).
array_attributes() {
    copy_checkpoint attrs || return 1
    local ckpt="$O/attrs/models/model-2.h5"
    $PY -c 'import sys, h5py, numpy as np; h5py.File(sys.argv[1], "r+").attrs["step"] = np.arange(4000)' "$ckpt" &&
        expect_fail "model-2.h5: attribute step, epoch, seed or adam_step missing or not a single number" \
            "${RUN[@]}" --outputpath="$O/attrs" --mode=test &&
        expect_fail "model-2.h5: attribute 'step' is not a single number" bin/hepcnn-export "$ckpt" "$O/attrs/x.onnx" ||
        return 1
    $PY -c 'import sys, h5py, numpy as np; f = h5py.File(sys.argv[1], "r+"); f.attrs["step"] = np.int64(2)
f.attrs["network"] = np.array([b"hep64"] * 300, "S128")
f.attrs["settings"] = np.array([b"{}"] * 300, "S128")' "$ckpt" &&
        expect_fail "model-2.h5: attribute 'network' missing or not a single string" \
            "${RUN[@]}" --outputpath="$O/attrs" --mode=test &&
        expect_fail "model-2.h5: attribute 'settings' is not a single string" bin/hepcnn-export "$ckpt" "$O/attrs/x.onnx" &&
        [ ! -e "$O/attrs/x.onnx" ]
}
check "outputs: array attributes where one value belongs are refused naming them (no crash, binary or export)" \
    array_attributes

# A weight's element type damaged to 23812 bytes (one byte of its datatype
# message, as a fuzzer found): HDF5 1.10 read that many bytes per element
# out of each chunk, far past its end (a crash in both readers).
damaged_type() {
    copy_checkpoint dtype || return 1
    local ckpt="$O/dtype/models/model-2.h5"
    local refused="model-2.h5: dataset 'conv1/weight' does not hold 2-, 4- or 8-byte floats (its type is damaged?)"
    $PY tests/make_h5.py damage_type "$ckpt" conv1/weight &&
        expect_fail "$refused" "${RUN[@]}" --outputpath="$O/dtype" --mode=test &&
        expect_fail "$refused" bin/hepcnn-export "$ckpt" "$O/dtype/x.onnx" && [ ! -e "$O/dtype/x.onnx" ]
}
check "outputs: a weight's element type damaged to 23812 bytes is refused naming it (no crash, binary or export)" \
    damaged_type

# A checkpoint whose weights were altered on disk (one byte inside
# fc1/weight's data, the file otherwise intact) is refused by its
# dataset's checksum, not resumed from.
altered_checkpoint() {
    rm -rf "$O/alt"
    "${RUN[@]}" --outputpath="$O/alt" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    $PY -c '
import sys, h5py
p = sys.argv[1]
with h5py.File(p, "r") as f:
    assert f["fc1/weight"].fletcher32, "no checksum on fc1/weight"
    at = f["fc1/weight"].id.get_chunk_info(0).byte_offset + 4096
b = bytearray(open(p, "rb").read()); b[at] ^= 0x10; open(p, "wb").write(b)' "$O/alt/models/model-4.h5" || return 1
    expect_fail "model-4.h5: cannot read dataset 'fc1/weight' (damaged: its checksum or structure does not hold); the previous checkpoint is step 2" \
        "${RUN[@]}" --outputpath="$O/alt" --trainsamples=32 --num_epochs=3
}
check "outputs: a checkpoint whose weights changed on disk is refused by its checksum" altered_checkpoint

# What a chunk's checksum cannot see: conv1/weight's bytes swapped with
# adam/m/conv1/weight's (same size, each keeping its own valid checksum, as
# when a byte of HDF5's chunk index is altered): HDF5 reads both without
# complaint, the checkpoint's digests refuse them, in training and in test
# mode. Then a format 2 file (no digests) still resumes.
swapped_chunks() {
    rm -rf "$O/swap"
    "${RUN[@]}" --outputpath="$O/swap" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    cp "$O/swap/models/model-4.h5" "$O/swap.h5"
    $PY -c '
import sys, h5py
p = sys.argv[1]
with h5py.File(p, "r") as f:
    assert f.attrs["format_version"] == 4 and "digest" in f.attrs and "adam_digest" in f.attrs
    a, b = (f[n].id.get_chunk_info(0) for n in ("conv1/weight", "adam/m/conv1/weight"))
assert a.size == b.size
d = bytearray(open(p, "rb").read())
d[a.byte_offset:a.byte_offset + a.size], d[b.byte_offset:b.byte_offset + b.size] = \
    d[b.byte_offset:b.byte_offset + b.size], d[a.byte_offset:a.byte_offset + a.size]
open(p, "wb").write(d)
with h5py.File(p, "r") as f:
    f["conv1/weight"][()], f["adam/m/conv1/weight"][()]   # both checksums hold' "$O/swap/models/model-4.h5" || return 1
    expect_fail "model-4.h5: the weights, input divisors, step, seed, settings or layer table read back differ from what was written (the checkpoint's digest does not match: altered on disk?); the previous checkpoint is step 2" \
        "${RUN[@]}" --outputpath="$O/swap" --trainsamples=32 --num_epochs=3 || return 1
    expect_fail "model-4.h5: the weights, input divisors, step, seed, settings or layer table read back differ" \
        "${RUN[@]}" --outputpath="$O/swap" --mode=test || return 1
    expect_fail "model-4.h5: the weights, input divisors, step, seed, settings or layer table read back differ" \
        bin/hepcnn-export "$O/swap/models/model-4.h5" "$O/swap.onnx" || return 1
    [ ! -e "$O/swap.onnx" ] || return 1
    cp "$O/swap.h5" "$O/swap/models/model-4.h5"
    $PY -c '
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs["format_version"] = 2
    del f.attrs["digest"], f.attrs["adam_digest"]' "$O/swap/models/model-4.h5" || return 1
    bin/hepcnn-export "$O/swap/models/model-4.h5" "$O/swap.onnx" > /dev/null &&
        "${RUN[@]}" --outputpath="$O/swap" --trainsamples=32 --num_epochs=3 > "$O/swap.out" &&
        grep -q "resuming from .*model-4.h5" "$O/swap.out"
}
check "outputs: chunks swapped between datasets (checksums intact) are refused by the digests (resume, test mode, ONNX export); format 2 still resumes" swapped_chunks

# The layer table (network_layers), which hepcnn-export builds its model
# from, is in the digest from format 4: the checkpoint exports, and with one
# byte of the table altered (the input's height 64 -> 62, as a mutated
# checkpoint once exported) is refused by the export and by a resume. A format 3 file, whose digest ends before the
# table, still resumes: made from a format 4 one by undoing the table's
# steps of the digest (each multiplies by an odd number, so each inverts).
layer_table_digest() {
    rm -rf "$O/table"
    "${RUN[@]}" --outputpath="$O/table" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    local ckpt=$O/table/models/model-4.h5
    cp "$ckpt" "$O/table.h5"
    bin/hepcnn-export "$ckpt" "$O/table-unaltered.onnx" > /dev/null || return 1
    $PY -c '
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    t = f.attrs["network_layers"]
    t = t.decode() if isinstance(t, bytes) else str(t)
    assert "\"input\":[3,64,64]" in t
    del f.attrs["network_layers"]
    f.attrs["network_layers"] = np.bytes_(t.replace("\"input\":[3,64,64]", "\"input\":[3,62,64]"))' "$ckpt" || return 1
    expect_fail "model-4.h5: the weights, input divisors, step, seed, settings or layer table read back differ" \
        bin/hepcnn-export "$ckpt" "$O/table.onnx" || return 1
    [ ! -e "$O/table.onnx" ] || return 1
    expect_fail "model-4.h5: the weights, input divisors, step, seed, settings or layer table read back differ" \
        "${RUN[@]}" --outputpath="$O/table" --trainsamples=32 --num_epochs=3 || return 1
    cp "$O/table.h5" "$ckpt"
    $PY -c '
import sys, h5py, numpy as np
PRIME, MASK = 1099511628211, (1 << 64) - 1
with h5py.File(sys.argv[1], "r+") as f:
    t = f.attrs["network_layers"]
    t = t if isinstance(t, bytes) else str(t).encode()
    n = len(t) // 4 * 4
    steps = [int.from_bytes(t[i:i + 4], "little") for i in range(0, n, 4)] + list(t[n:])
    h, inverse = int(f.attrs["digest"]), pow(PRIME, -1, 1 << 64)
    for word in reversed(steps):
        h = ((h * inverse) & MASK) ^ word
    f.attrs["format_version"] = np.int32(3)
    f.attrs["digest"] = np.uint64(h)' "$ckpt" || return 1
    bin/hepcnn-export "$ckpt" "$O/table.onnx" > /dev/null &&
        "${RUN[@]}" --outputpath="$O/table" --trainsamples=32 --num_epochs=3 > "$O/table.out" &&
        grep -q "resuming from .*model-4.h5" "$O/table.out"
}
check "outputs: an altered layer table is refused by the digest (ONNX export, resume); format 3 still exports and resumes" \
    layer_table_digest
# The HDF5 crash guard (runtime/h5guard.c): a fault while a thread reads a
# file is that file's error, exit 1; any other stays a SIGSEGV (139).
h5guard_faults() {
    make --no-print-directory -s build/test_h5guard || return 1
    local out
    out=$( (ulimit -c 0; build/test_h5guard guarded) 2>&1); [ $? -eq 1 ] || { echo "guarded: $out"; return 1; }
    grep -qF "test_h5guard: error: damaged.h5: the HDF5 library crashed (SIGSEGV) reading this file, which is damaged (bytes overwritten, or a copy cut short): the advice" <<<"$out" ||
        { echo "guarded: $out"; return 1; }
    local m
    for m in left unguarded other; do
        (ulimit -c 0; build/test_h5guard $m) > /dev/null 2>&1
        [ $? -eq 139 ] || { echo "$m: expected SIGSEGV (139)"; return 1; }
    done
}
check "outputs: the HDF5 crash guard blames a fault on the file only while that thread reads it" h5guard_faults

# A checkpoint whose attribute 'network' declares a dataspace message 40 KiB
# long (its size's high byte 0 -> 0xa0; make fuzz found the same done to the
# datatype's size): HDF5 1.10 reads past the header and faults in H5Aexists. The export says so naming the file, exit 1,
# and leaves the file at its path alone; a resume refuses it naming the file.
hdf5_crash() {
    rm -rf "$O/crash"
    "${RUN[@]}" --outputpath="$O/crash" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    $PY -c '
import sys
path = sys.argv[1]
b = bytearray(open(path, "rb").read())
# a version 1 attribute message: version, reserved, name size 8 ("network" and its NUL), datatype size, dataspace size
i = b.find(bytes([1, 0, 8, 0]) + b"\x08\x00\x08\x00network\x00")
assert i > 0, "no attribute message for network"
assert b[i + 7] == 0
b[i + 7] = 0xa0
open(path, "wb").write(b)' "$O/crash/models/model-4.h5" || return 1
    echo "an earlier export" > "$O/crash.onnx"
    local out
    out=$( (ulimit -c 0; bin/hepcnn-export "$O/crash/models/model-4.h5" "$O/crash.onnx") 2>&1)
    local rc=$?
    printf '%s\n' "$out"
    [ $rc -eq 1 ] || { echo "export: exit $rc, expected 1"; return 1; }
    grep -qF "hepcnn-export: error: $O/crash/models/model-4.h5: the HDF5 library crashed (SIGSEGV) reading this file" <<<"$out" ||
        return 1
    [ "$(cat "$O/crash.onnx")" = "an earlier export" ] || { echo "the file at the export's path changed"; return 1; }
    (ulimit -c 0; expect_fail "$O/crash/models/model-4.h5: " "${RUN[@]}" --outputpath="$O/crash" --trainsamples=32 --num_epochs=3)
}
check "outputs: a checkpoint that crashes the HDF5 library: the export exits 1 naming it, keeps the file at its path; a resume refuses it" \
    hdf5_crash

# Mutated copies of a first epoch's checkpoint (bytes of HDF5's headers and
# chunk index overwritten, the file cut short): each is refused naming it,
# or resumes to weights bitwise those of the unaltered checkpoint.
check "outputs: 30 mutated checkpoints are refused naming the file or resume to the same weights" \
    $PY tests/fuzz/mutate_h5.py checkpoints 30 1

# A checkpoint that cannot be written (a file size limit stands in for a
# full disk: the same failed HDF5 writes and close): exit status 1 with the
# message (HDF5's clean-up at exit crashed on the broken file before: 139),
# no temporary file left, the earlier checkpoint unchanged, and a rerun
# without the limit resumes from it.
checkpoint_write_fails() {
    rm -rf "$O/full"
    "${RUN[@]}" --outputpath="$O/full" --trainsamples=32 --num_epochs=1 > /dev/null || return 1
    local before rc
    before=$(md5sum < "$O/full/models/model-2.h5")
    (trap '' XFSZ; ulimit -f 8000; exec "${RUN[@]}" --outputpath="$O/full" --trainsamples=32 --num_epochs=2) \
        > "$O/full.out" 2>&1
    rc=$?
    cat "$O/full.out"
    [ $rc -eq 1 ] || { echo "exit status $rc, expected 1"; return 1; }
    grep -q "writing checkpoint $O/full/models/model-4.h5 failed: File too large; the earlier checkpoints are unchanged" "$O/full.out" &&
        [ "$(md5sum < "$O/full/models/model-2.h5")" = "$before" ] &&
        [ -z "$(ls -A "$O/full/models" | grep -v '^model-2.h5$')" ] || return 1
    "${RUN[@]}" --outputpath="$O/full" --trainsamples=32 --num_epochs=2 > "$O/full2.out" &&
        grep -q "resuming from .*model-2.h5" "$O/full2.out" && [ -e "$O/full/models/model-4.h5" ]
}
check "outputs: a checkpoint that cannot be written stops the run cleanly (status 1), the earlier one kept" \
    checkpoint_write_fails

# A disk that fills up under a running run (a 64 MiB tmpfs, filled by dd):
# the logs' failed writes are said once each, as warnings, and the run goes
# on to its checkpoint, which stops it with the full-disk error; HDF5 fails
# there creating the file (said as "cannot create checkpoint X" before),
# and no temporary file is left. Mounting needs root.
# The files a run goes on without must keep whole records only: a JSON-lines
# reader, or TensorBoard's, stops at the first damaged one, and a resumed
# run's records would follow it.
whole_records() {
    [ "$(tail -c 1 "$1/logs/train.log")" = "" ] &&   # ends in a newline
    $PY - "$1"/logs/metrics.jsonl "$1"/logs/events.out.tfevents.* <<'PY'
import json, struct, sys
records = [json.loads(line) for line in open(sys.argv[1])]
assert len(records) > 5, len(records)
data = open(sys.argv[2], "rb").read()
at = events = 0
while at + 12 <= len(data):
    (n,) = struct.unpack_from("<Q", data, at)
    at += 12 + n + 4
    events += 1
assert at == len(data) and events > 5, "%d bytes, %d whole events end at %d" % (len(data), events, at)
PY
}
disk_fills() {
    local mnt=$1 pid rc
    bin/hep64-native --config=configs/demo_64.json --dummy_data --trainsamples=4000 --train_batch_size=8 \
        --num_epochs=1 --display_interval=1 --create_summary=true --outputpath="$mnt/o" > "$O/fills.out" 2> "$O/fills.err" &
    pid=$!
    wait_for "$O/fills.out" "TRAINING REPORT: step 5 " || { kill $pid; wait $pid; return 1; }   # then it can be unmounted
    dd if=/dev/zero of="$mnt/fill" bs=1M 2> /dev/null
    wait $pid; rc=$?
    cat "$O/fills.err"
    [ $rc -eq 1 ] || { echo "exit $rc"; return 1; }
    grep -qF "hepcnn: warning: writing $mnt/o/logs/train.log failed (No space left on device): the report lines go on to standard output only" "$O/fills.err" &&
        [ "$(grep -c 'warning: writing .*train.log failed' "$O/fills.err")" -eq 1 ] &&
        [ "$(grep -c "warning: writing $mnt/o/logs/events.out.tfevents.*failed (No space left on device): TensorBoard's curves will miss the steps" "$O/fills.err")" -eq 1 ] &&
        whole_records "$mnt/o" &&
        grep -qF "hepcnn: error: writing checkpoint $mnt/o/models/model-500.h5 failed: its file system has 0.0 MiB free and it needs about" "$O/fills.err" &&
        [ "$(grep -c 'TRAINING REPORT' "$O/fills.out")" -eq 500 ] &&
        [ -z "$(ls -A "$mnt/o/models")" ]
}
# The same 64 MiB file system with 24 MiB left: a hep64 checkpoint (51 MiB)
# cannot fit, and the run says so before it trains.
no_room_at_start() {
    local mnt=$1
    rm -f "$mnt/fill" && dd if=/dev/zero of="$mnt/fill" bs=1M count=40 2> /dev/null || return 1
    expect_fail "command line (--outputpath): the file system of outputpath '$mnt/o2' has" \
        bin/hep64-native --config=configs/demo_64.json --dummy_data --trainsamples=64 --train_batch_size=8 \
        --num_epochs=1 --outputpath="$mnt/o2" > "$O/noroom.out" || { cat "$O/noroom.out"; return 1; }
    cat "$O/noroom.out"
    grep -q "MiB free, and each checkpoint of hep64 needs about 51.4 MiB: make room there" "$O/noroom.out" &&
        ! grep -q "TRAINING REPORT" "$O/noroom.out"
}
mnt="$O/tmpfs"
mkdir -p "$mnt"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64M hepcnn-test "$mnt" 2> /dev/null; then
    check "outputs: a disk filling up under a run: the logs and TensorBoard's events warn once each and keep whole records, the checkpoint stops it (status 1)" \
        disk_fills "$mnt"
    check "outputs: an outputpath without room for one checkpoint stops the run at its start, saying how much it needs" \
        no_room_at_start "$mnt"
    umount "$mnt"
else
    skip "outputs: a disk filling up under a run: the logs and TensorBoard's events warn once each and keep whole records, the checkpoint stops it (status 1)" \
        "mounting a tmpfs needs root"
    skip "outputs: an outputpath without room for one checkpoint stops the run at its start, saying how much it needs" \
        "mounting a tmpfs needs root"
fi

# A file system that fails writes for a while (a network file system's
# client that lost its server): a checkpoint whose write fails for another
# reason than room is written again after 1, 4 and 16 s; a failure that
# lasts stops the run naming the system's error, with no checkpoint or
# temporary file left. tests/fs_faults.c fails the writes of 4 KiB or more
# to the temporary checkpoint (FS_FAULTS_EIO_WRITE=NAME:COUNT:BYTES).
cc -shared -fPIC -o "$O/fs_faults.so" tests/fs_faults.c -ldl
checkpoint_write_eio() {
    local how=$1 spec=$2 out="$O/wfail-$1" rc
    rm -rf "$out" "$out.log"
    # a lasting fault with shorter waits (HEPCNN_IO_RETRY_WAITS): the same tries
    local waits=''; [ "$how" = lasting ] && waits=0,0,1
    HEPCNN_IO_RETRY_WAITS=$waits FS_FAULTS_EIO_WRITE="$spec" LD_PRELOAD="$(realpath "$O/fs_faults.so")" timeout 120 \
        "${RUN[@]}" --outputpath="$out" --num_epochs=2 > "$out.log" 2>&1
    rc=$?
    grep -a "hepcnn: warning\|hepcnn: error" "$out.log"
    [ -z "$(find "$out/models" -name '.model-*.tmp')" ] || { echo "a temporary file was left"; return 1; }
    local failed="writing checkpoint $out/models/model-[0-9]*.h5 failed"
    if [ "$how" = passing ]; then
        [ $rc -eq 0 ] && [ "$(grep -c "hepcnn: warning: $failed (Input/output error): trying again in 1 s (try 2 of 4)" "$out.log")" -eq 1 ] &&
            [ "$(grep -c "hepcnn: warning" "$out.log")" -eq 1 ] && $PY tests/check_outputs.py loadable "$out"
    else
        [ $rc -eq 1 ] && [ "$(grep -c "hepcnn: warning: $failed (Input/output error): trying again" "$out.log")" -eq 3 ] &&
            grep -q "hepcnn: error: $failed: Input/output error; the earlier checkpoints are unchanged" "$out.log" &&
            [ -z "$(ls -A "$out/models")" ]
    fi
}
check "outputs: a checkpoint write the file system fails once is written again, the run goes on" \
    checkpoint_write_eio passing ".model-:1:4096"
check "outputs: a checkpoint write the file system fails on stops the run after 4 tries, naming the error" \
    checkpoint_write_eio lasting ".model-:-1:4096"
# The same file system failing the reads of the checkpoint a run resumes
# from: they are tried again too; a failure that lasts is named as the file
# system's, offers no earlier checkpoint (this one is not damaged) and
# leaves the file as it was.
checkpoint_read_eio() {
    local how=$1 spec=$2 out="$O/rfail-$1" rc before
    rm -rf "$out" && "${RUN[@]}" --outputpath="$out" --trainsamples=32 --num_epochs=2 > /dev/null || return 1
    before=$(md5sum < "$out/models/model-4.h5")
    local waits=''; [ "$how" = lasting ] && waits=0,0,1
    HEPCNN_IO_RETRY_WAITS=$waits FS_FAULTS_EIO="$spec" LD_PRELOAD="$(realpath "$O/fs_faults.so")" timeout 120 \
        "${RUN[@]}" --outputpath="$out" --trainsamples=32 --num_epochs=3 > "$out.log" 2>&1
    rc=$?
    grep -a "hepcnn: warning\|hepcnn: error" "$out.log"
    [ "$(md5sum < "$out/models/model-4.h5")" = "$before" ] || { echo "the checkpoint was changed"; return 1; }
    local failed="reading $out/models/model-4.h5 failed (the file system: Input/output error): trying again in"
    if [ "$how" = passing ]; then
        [ $rc -eq 0 ] && [ "$(grep -c "hepcnn: warning: $failed" "$out.log")" -eq 2 ] &&
            grep -q "resuming from $out/models/model-4.h5" "$out.log"
    else
        [ $rc -eq 1 ] && [ "$(grep -c "hepcnn: warning: $failed" "$out.log")" -eq 3 ] &&
            grep -qF "hepcnn: error: $out/models/model-4.h5: reading it failed in the file system (Input/output error), 4 times over 1 s: the checkpoint itself may be intact" "$out.log" &&
            ! grep -q "previous checkpoint" "$out.log"
    fi
}
check "outputs: a checkpoint to resume from that the file system fails to read twice is read again, the run goes on" \
    checkpoint_read_eio passing "model-4.h5:2:0"
check "outputs: a checkpoint to resume from that the file system fails to read on: named as its fault, nothing offered" \
    checkpoint_read_eio lasting "model-4.h5:-1:0"
# Test mode's predictions file failing to be written: a write the file
# system fails twice is made again and the same predictions written; one
# that fails on stops the run with the system's error (here after the
# site's two short waits), no temporary file stays, the predictions written
# before stay.
predictions_write_eio() {
    local how=$1 before
    if [ "$how" = passing ]; then   # the same command's predictions without a fault, for the comparison
        "${RUN[@]}" --outputpath="$O/a" --mode=test > /dev/null 2>&1 && cp "$O/a/predictions-test.h5" "$O/predictions-before.h5" ||
            return 1
    fi
    before=$(md5sum < "$O/a/predictions-test.h5")
    if [ "$how" = passing ]; then
        # 4 writes: each failed attempt makes two, its data's and the close's flush
        FS_FAULTS_EIO_WRITE=".predictions-:4:0" LD_PRELOAD="$(realpath "$O/fs_faults.so")" \
            "${RUN[@]}" --outputpath="$O/a" --mode=test > "$O/pred-eio.log" 2>&1 || { cat "$O/pred-eio.log"; return 1; }
        cat "$O/pred-eio.log"
        [ "$(grep -c "hepcnn: warning: writing predictions $O/a/predictions-test.h5 failed (Input/output error): trying again in" "$O/pred-eio.log")" -eq 2 ] &&
            h5diff "$O/predictions-before.h5" "$O/a/predictions-test.h5" || return 1
    else
        expect_fail "hepcnn: error: writing predictions $O/a/predictions-test.h5 failed: Input/output error; the checkpoints are unchanged" \
            env HEPCNN_IO_RETRY_WAITS=0,1 FS_FAULTS_EIO_WRITE=".predictions-:-1:0" LD_PRELOAD="$(realpath "$O/fs_faults.so")" \
            "${RUN[@]}" --outputpath="$O/a" --mode=test || return 1
        [ "$(md5sum < "$O/a/predictions-test.h5")" = "$before" ] || return 1
    fi
    [ -z "$(find "$O/a" -maxdepth 1 -name '.predictions-*')" ]
}
check "outputs: test mode's predictions the file system fails to write twice: written again, the same predictions" \
    predictions_write_eio passing
check "outputs: test mode's predictions the file system fails to write on: the error named, the earlier file kept" \
    predictions_write_eio lasting

nan_stops() {
    local before
    before=$(md5sum "$O/a/models/model-32.h5")
    expect_fail "the training loss became" "${RUN[@]}" --outputpath="$O/a" --num_epochs=4 --learning_rate=1e9 \
        --accept_changed_settings || return 1
    [ "$(md5sum "$O/a/models/model-32.h5")" = "$before" ] && [ ! -e "$O/a/models/model-48.h5" ] &&
        [ ! -e "$O/a/models/model-64.h5" ]
}
check "outputs: NaN loss stops naming the step; last checkpoint intact" nan_stops
nan_message() {
    "${RUN[@]}" --outputpath="$O/nan" --num_epochs=1 --learning_rate=1e9 > "$O/nan.out" 2>&1
    local rc=$?
    cat "$O/nan.out"
    [ $rc -ne 0 ] && grep -Eq 'loss became (NaN|infinite) at step [0-9]+' "$O/nan.out"
}
check "outputs: NaN message names the step" nan_message

logs() {
    grep -q 'TRAINING REPORT: step 4 (32)' "$O/a/logs/train.log" &&
    $PY - "$O/a/logs/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
train = [r for r in rows if "images_per_s" in r]
evals = [r for r in rows if r.get("eval") == "val"]
assert train and evals, "training and evaluation records"
assert all({"time", "step", "loss"} <= set(r) for r in rows if "cuts_signal_efficiency" not in r)
assert all({"cuts_background_efficiency", "cnn_background_efficiency"} <= set(r) for r in rows if "cuts_signal_efficiency" in r)
assert all({"accuracy", "auc", "samples"} <= set(r) for r in evals)
print(len(train), "training and", len(evals), "evaluation records")
PY
}
check "outputs: logs/train.log and logs/metrics.jsonl" logs

svg_plots() {
    xmllint --noout "$O/a/plots/loss.svg" "$O/a/plots/roc.svg" &&
    grep -q 'data-name="training loss"' "$O/a/plots/loss.svg" &&
    grep -q 'data-name="validation loss"' "$O/a/plots/loss.svg" &&
    grep -q 'AUC = 0\.[0-9]' "$O/a/plots/roc.svg" && grep -q 'background rejection' "$O/a/plots/roc.svg"
}
check "outputs: SVG plots are well-formed XML with the expected series" svg_plots
# A plot that cannot be written (its temporary file a link to /dev/full:
# the disk full for it alone) is a warning: the run goes on, and the next
# evaluation draws it again.
plot_disk_full() {
    local out="$O/plotfull"
    rm -rf "$out" && mkdir -p "$out/plots" && ln -s /dev/full "$out/plots/loss.svg.tmp" || return 1
    "${RUN[@]}" --outputpath="$out" --num_epochs=2 > "$out.log" 2>&1 || { cat "$out.log"; return 1; }
    grep -a "hepcnn: warning" "$out.log"
    [ "$(grep -c "hepcnn: warning" "$out.log")" -eq 1 ] &&
        grep -qF "hepcnn: warning: writing plot $out/plots/loss.svg failed (No space left on device): going on without it" \
            "$out.log" &&
        [ ! -e "$out/plots/loss.svg.tmp" ] && xmllint --noout "$out/plots/loss.svg" "$out/plots/roc.svg" &&
        $PY tests/check_outputs.py loadable "$out"
}
check "outputs: a plot that cannot be written is a warning, the run goes on and draws it at the next evaluation" \
    plot_disk_full
# A run that goes on job after job keeps its whole loss curve. Three jobs:
# 2 epochs; a third from epoch 1's checkpoint (it records epoch 2 again);
# a fourth from that job's epoch 2. The plot must hold each step once,
# with the loss the latest job recorded for it: the SVG's y against that
# loss is one straight line (to the plot's 0.1 px rounding).
loss_plot_across_jobs() {
    rm -rf "$O/jobs"
    "${RUN[@]}" --outputpath="$O/jobs" --num_epochs=2 > /dev/null &&
    "${RUN[@]}" --outputpath="$O/jobs" --num_epochs=3 --checkpoint_id=16 > /dev/null &&
    "${RUN[@]}" --outputpath="$O/jobs" --num_epochs=4 --checkpoint_id=32 > "$O/jobs.out" || { cat "$O/jobs.out"; return 1; }
    grep "continuing at step 32 " "$O/jobs.out" &&
    $PY - "$O/jobs/logs/metrics.jsonl" "$O/jobs/plots/loss.svg" <<'PY'
import json, re, sys
import numpy as np
rows = [json.loads(l) for l in open(sys.argv[1])]
svg = open(sys.argv[2]).read()
for name, keep in (("training loss", lambda r: "images_per_s" in r), ("validation loss", lambda r: r.get("eval") == "val")):
    latest = {}
    for r in rows:
        if keep(r): latest[r["step"]] = r["loss"]          # the latest job's record of each step
    steps = sorted(latest)
    points = re.search(r'data-name="%s"[^>]*points="([^"]*)"' % name, svg).group(1).split()
    xy = np.array([[float(v) for v in p.split(",")] for p in points])
    print(name, ": steps", steps, "; plotted", len(xy))
    assert len(xy) == len(steps) == (16 if name == "training loss" else 4), "one point per step"
    assert np.all(np.diff(xy[:, 0]) > 0), "steps in order"
    loss = np.array([latest[s] for s in steps])
    fit = np.polyfit(loss, xy[:, 1], 1)
    assert np.abs(np.polyval(fit, loss) - xy[:, 1]).max() < 0.3, ("not the latest losses", xy[:, 1], loss)
    assert len(set(r["step"] for r in rows if keep(r))) < sum(1 for r in rows if keep(r)), "some step recorded twice"
PY
}
check "outputs: after restarts plots/loss.svg holds the whole run, each step's latest loss once" loss_plot_across_jobs

timeline() {
    "${RUN[@]}" --outputpath="$O/t" --num_epochs=1 --timeline="$O/trace.json" > /dev/null &&
    $PY - "$O/trace.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
names = {(e["cat"], e["name"]) for e in ev}
for want in [("forward", "conv1"), ("backward", "conv3"), ("forward", "fc2"), ("optimiser", "Adam"), ("data", "data wait")]:
    assert want in names, want
assert all(e["ph"] == "X" and e["dur"] >= 0 for e in ev)
print(len(ev), "events")
PY
}
check "outputs: --timeline writes a Chrome trace" timeline
timeline_refused() {
    expect_fail "command line (--timeline): cannot write the timeline '$O/no-such-folder/trace.json': No such file or directory" \
        "${RUN[@]}" --outputpath="$O/t-refused" --num_epochs=1 --timeline="$O/no-such-folder/trace.json" &&
        [ -z "$(ls -A "$O/t-refused/models" 2>/dev/null)" ]
}
check "outputs: a --timeline that cannot be written names the key and why, before a step is trained" timeline_refused
# A trace whose write fails mid-run (a full disk: /dev/full) is a
# diagnostic: a warning, and the run goes on to its end (it stopped with
# "writing the timeline failed").
timeline_write_fails() {
    rm -rf "$O/t-full"
    "${RUN[@]}" --outputpath="$O/t-full" --num_epochs=1 --timeline=/dev/full > "$O/t-full.out" 2>&1 ||
        { cat "$O/t-full.out"; return 1; }
    grep -aF "timeline" "$O/t-full.out"
    grep -qF "hepcnn: warning: writing the timeline /dev/full failed (No space left on device): it is cut short; the run goes on" \
        "$O/t-full.out" && grep -aq "EPOCH SUMMARY" "$O/t-full.out"
}
check "outputs: a --timeline whose write fails mid-run is a warning, the run goes on" timeline_write_fails
