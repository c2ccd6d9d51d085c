# Where physicists work (sourced by tests/run.sh): TensorBoard summaries read
# by tensorboard's own reader, ONNX models run by onnxruntime, Delphes ROOT
# files converted with uproot. The readers come from PyPI into build/venv
# (tools/venv.sh); without PyPI these checks are skipped, saying so.
echo "== TensorBoard, ONNX, Delphes"
X=$LOGDIR/toolbox
rm -rf "$X"; mkdir -p "$X"
make --no-print-directory -s bin/hep64-native bin/hepcnn-datagen bin/hepcnn-export
VPY=$(tools/venv.sh ensure 2>"$X/venv.err") || { cat "$X/venv.err"; VPY=""; }
# venv_check NAME CMD...: check, or skip when build/venv could not be made
venv_check() {
    if [ -n "$VPY" ]; then check "$@"; else skip "$1" "no PyPI access: build/venv (tools/requirements.txt) could not be made"; fi
}
bin/hepcnn-datagen --outdir="$X/data" --train=256 --train_files=2 --val=128 --test=96 --seed=5 >/dev/null
TB=(bin/hep64-native --config=configs/demo_64.json --inputpath="$X/data" --train_batch_size=16 --trainsamples=128
    --display_interval=2 --validation_interval=4 --validation_batch_size=64 --create_summary=true)

tensorboard_events() {
    "${TB[@]}" --outputpath="$X/tb" --num_epochs=1 > "$X/tb.out" || { cat "$X/tb.out"; return 1; }
    "$VPY" tests/check_summary.py "$X/tb"
}
venv_check "tensorboard: create_summary writes events its reader reads, equal to metrics.jsonl" tensorboard_events

# A killed run may have logged steps past its last checkpoint: emulated by
# removing the newest checkpoint, so that the restart resumes from step 4
# and logs steps 6 and 8 again. The file keeps each step once.
tensorboard_restart() {
    rm -rf "$X/tbr"
    "${TB[@]}" --outputpath="$X/tbr" --num_epochs=1 --checkpoint_steps=4 > /dev/null &&
        rm "$X/tbr/models/model-8.h5" &&
        "${TB[@]}" --outputpath="$X/tbr" --num_epochs=2 --checkpoint_steps=4 > "$X/tbr.out" &&
        grep -q "resuming from $X/tbr/models/model-4.h5" "$X/tbr.out" || { cat "$X/tbr.out"; return 1; }
    [ "$(grep -c '"step": 6, "loss"' "$X/tbr/logs/metrics.jsonl")" -eq 2 ] &&   # logged twice in metrics.jsonl
        "$VPY" tests/check_summary.py "$X/tbr"
}
venv_check "tensorboard: a restart cuts the events after its step: no step twice or backwards" tensorboard_restart

# ONNX: every network in networks/ (2-class, 4-class, batch norm) trained for
# a few steps, its checkpoint exported, run by onnxruntime on the test file's
# raw images: the scores of test mode within 1e-5.
bin/hepcnn-datagen --outdir="$X/data224" --size=224 --train=32 --train_files=1 --val=16 --test=16 --seed=6 >/dev/null
onnx_matches() {
    local net=$1 data=$X/data bn=false
    case $net in hep224*) data=$X/data224 ;; esac
    case $net in *_bn) bn=true ;; esac
    make --no-print-directory -s "bin/$net-native" bin/hepcnn-export || return 1
    rm -rf "$X/onnx-$net"
    local run=("bin/$net-native" --config=configs/demo_64.json --input_shape="[$(h5dims "$data")]" --inputpath="$data"
               --outputpath="$X/onnx-$net" --batch_norm=$bn --train_batch_size=8 --trainsamples=32 --num_epochs=1
               --validation_batch_size=16 --test_batch_size=16)
    case $net in hep224*) run+=(--num_layers=4 --scaling_improvements=true --num_fc_units=0) ;; esac
    "${run[@]}" > "$X/onnx-$net.out" 2>&1 && "${run[@]}" --mode=test >> "$X/onnx-$net.out" 2>&1 ||
        { cat "$X/onnx-$net.out"; return 1; }
    bin/hepcnn-export "$X/onnx-$net/models/model-4.h5" "$X/$net.onnx" &&
        "$VPY" tests/check_onnx.py "$X/$net.onnx" "$X/onnx-$net/predictions-test.h5" "$data/test_000.h5" 1e-5
}
h5dims() { h5ls "$1/test_000.h5" | awk '/^data / { gsub(/[{},]/, " "); print $4 "," $5 "," $6 }'; }
for net in $(ls networks | sed 's/\.lua$//'); do
    venv_check "onnx: $net checkpoint exported, onnxruntime gives test mode's scores (1e-5)" onnx_matches "$net"
done
export_errors() {
    expect_fail "$X/data/test_000.h5: no attribute 'network_layers'" bin/hepcnn-export "$X/data/test_000.h5" "$X/bad.onnx" &&
        expect_fail "$X/nothing.h5: cannot read it: No such file or directory" bin/hepcnn-export "$X/nothing.h5" "$X/bad.onnx" &&
        expect_fail "usage: hepcnn-export CHECKPOINT.h5 MODEL.onnx" bin/hepcnn-export "" "$X/bad.onnx" &&
        [ ! -e "$X/bad.onnx" ]
}
check "onnx: an HDF5 file that is no checkpoint, a missing file, an empty argument: errors naming them, nothing written" \
    export_errors
# A damaged layer table's bytes reach the error as \xNN, not raw (make fuzz
# found "unknown layer kind 'fla<0x80>ten'" printed raw). Made a format 2
# file, without digests: format 4's digest, which takes the table, would
# refuse it first.
export_escapes() {
    rm -rf "$X/esc"
    "${TB[@]}" --outputpath="$X/esc" --num_epochs=1 --trainsamples=32 > /dev/null || return 1
    /usr/bin/python3 -c '
import sys, h5py, numpy
with h5py.File(sys.argv[1], "r+") as f:
    raw = bytes(f.attrs["network_layers"]).replace(b"\"flatten\"", b"\"fla\x80ten\"")
    assert b"\x80" in raw
    del f.attrs["network_layers"], f.attrs["digest"], f.attrs["adam_digest"]
    f.attrs["network_layers"] = numpy.bytes_(raw)
    f.attrs["format_version"] = numpy.int32(2)' "$X/esc/models/model-2.h5" || return 1
    expect_fail "$X/esc/models/model-2.h5: network_layers: unknown layer kind 'fla\\x80ten'" \
        bin/hepcnn-export "$X/esc/models/model-2.h5" "$X/esc.onnx" || return 1
    ! bin/hepcnn-export "$X/esc/models/model-2.h5" "$X/esc.onnx" 2>&1 | LC_ALL=C grep -q $'\x80'
}
check "onnx: a damaged layer table's bytes are shown as \\xNN in the error" export_escapes
# A checkpoint on a file system that fails a read (tests/fs_faults.c: the
# Kth read of the file, K = the format check's, the open's, a dataset's
# look-up and read): said as the file system's, not as a damaged file (the
# open's was "another program holds it locked", the look-up's "missing
# dataset"); the model already at the path kept; the next export, faults
# gone, works.
export_file_system() {
    rm -rf "$X/eio"
    cc -shared -fPIC -o "$X/fs_faults.so" tests/fs_faults.c -ldl &&
        "${TB[@]}" --outputpath="$X/eio" --num_epochs=1 --trainsamples=32 > /dev/null || return 1
    local k ckpt=$X/eio/models/model-2.h5
    echo kept > "$X/eio.onnx"
    for k in 0 4 6 40; do
        expect_fail "$ckpt: reading it failed in the file system (Input/output error): the checkpoint itself may be intact" \
            env FS_FAULTS_EIO="model-:1:0:$k" LD_PRELOAD="$(realpath "$X/fs_faults.so")" \
            bin/hepcnn-export "$ckpt" "$X/eio.onnx" || return 1
    done
    [ "$(cat "$X/eio.onnx")" = kept ] && bin/hepcnn-export "$ckpt" "$X/eio.onnx"
}
check "onnx: reads the file system fails are said as its, not the checkpoint's; the export works once they pass" \
    export_file_system
# Mutated copies of a checkpoint (bytes of HDF5's headers and chunk index
# overwritten, the file cut short): each export is refused naming the file,
# an ONNX file already at its path kept, or writes the unaltered one's model.
check "onnx: 40 mutated checkpoints are refused naming the file or export the unaltered model bitwise" \
    /usr/bin/python3 tests/fuzz/mutate_h5.py export 40 1

# Delphes: two Delphes-like ROOT files (written with uproot) of different
# labels and weights, converted, checked pixel by pixel against their towers
# and tracks, mixed across the output files; hepcnn trains on them.
delphes_convert() {
    rm -rf "$X/delphes"
    "$VPY" tests/make_delphes.py write "$X/sig.root" 60 1 && "$VPY" tests/make_delphes.py write "$X/bkg.root" 100 2 &&
        bin/hepcnn-delphes --outdir="$X/delphes" --events_per_file=64 --psr=0 \
            "$X/sig.root:label=1,weight=0.25,psr=1" "$X/bkg.root:label=0" &&
        "$VPY" tests/make_delphes.py check "$X/delphes" train 64 2.5 "$X/sig.root:label=1,weight=0.25" \
            "$X/bkg.root:label=0,weight=1"
}
venv_check "delphes: ROOT towers and tracks -> images, pixel by pixel, inputs mixed across files" delphes_convert
delphes_trains() {
    bin/hepcnn-delphes --outdir="$X/delphes" --prefix=val --events_per_file=100 "$X/bkg.root:label=0" \
        "$X/sig.root:label=1" > /dev/null 2>&1 || return 1
    rm -rf "$X/delphes-run"
    bin/hep64-native --config=configs/demo_64.json --inputpath="$X/delphes" --outputpath="$X/delphes-run" \
        --train_batch_size=16 --num_epochs=2 --validation_batch_size=40 > "$X/delphes-run.out" 2>&1 ||
        { cat "$X/delphes-run.out"; return 1; }
    grep -E 'files|EPOCH SUMMARY.*auc' "$X/delphes-run.out"
    grep -Eq 'EPOCH SUMMARY: step 20 \(20\), average auc [0-9.]+$' "$X/delphes-run.out"
}
venv_check "delphes: hepcnn trains on the converted files" delphes_trains
delphes_errors() {
    echo "not root" > "$X/bad.root"
    expect_fail "$X/bad.root: not a readable ROOT file" bin/hepcnn-delphes --outdir="$X/d2" --label=0 "$X/bad.root" &&
        [ "$(bin/hepcnn-delphes --outdir="$X/d2" --label=0 "$X/bad.root" 2>&1 | wc -l)" = 1 ] &&
        expect_fail "$X/sig.root: no label (give --label=L, or FILE:label=L)" bin/hepcnn-delphes --outdir="$X/d2" "$X/sig.root" &&
        expect_fail "weight='x' is not a number" bin/hepcnn-delphes --outdir="$X/d2" "$X/sig.root:label=1,weight=x"
}
venv_check "delphes: a file that is not ROOT (one line), no label, a bad value: errors naming them" delphes_errors
# A ROOT file cut short (a copy interrupted) at three places: in its
# directory, in a branch's baskets, near its end: one line naming the file,
# exit 1, and the earlier conversion in outdir untouched, no .tmp left.
delphes_truncated() {
    local n before
    rm -rf "$X/d3"
    bin/hepcnn-delphes --outdir="$X/d3" --label=1 "$X/sig.root" > /dev/null || return 1
    before=$(md5sum < "$X/d3/train_000.h5")
    for n in 2000 20000 $(( $(stat -c %s "$X/sig.root") - 2000 )); do
        head -c "$n" "$X/sig.root" > "$X/cut.root"
        expect_fail "$X/cut.root: " bin/hepcnn-delphes --outdir="$X/d3" --label=1 "$X/cut.root" || return 1
        [ "$(bin/hepcnn-delphes --outdir="$X/d3" --label=1 "$X/cut.root" 2>&1 | wc -l)" = 1 ] || return 1
        bin/hepcnn-delphes --outdir="$X/d3" --label=1 "$X/cut.root" 2>&1 | grep -Eq 'not a readable ROOT file|damaged or truncated' || return 1
    done
    [ "$(ls "$X/d3")" = train_000.h5 ] && [ "$(md5sum < "$X/d3/train_000.h5")" = "$before" ]
}
venv_check "delphes: a ROOT file cut short: one line naming it, the earlier output kept, nothing half-written" delphes_truncated
# SIGTERM (or Ctrl-C) mid-conversion: the signal is taken at the next block
# of events; exit 128+15, the unfinished files removed, the earlier ones kept.
delphes_stopped() {
    local pid rc inputs=()
    for _ in $(seq 400); do inputs+=("$X/sig.root"); done
    bin/hepcnn-delphes --outdir="$X/d3" --label=1 --prefix=more "${inputs[@]}" > "$X/stopped.out" 2>&1 &
    pid=$!
    wait_for "$X/stopped.out" '\] [1-9][0-9]*/24000 events' || { kill -9 $pid; return 1; }
    kill -TERM $pid; wait $pid; rc=$?
    tail -2 "$X/stopped.out"
    [ $rc = 143 ] && grep -q 'stopped by signal 15: the unfinished output files were removed' "$X/stopped.out" &&
        [ "$(ls "$X/d3")" = train_000.h5 ]
}
venv_check "delphes: SIGTERM mid-conversion: exit 143, the unfinished files removed, the earlier kept" delphes_stopped
# A write that fails (a file size limit stands in for a full disk): one
# error line with the system's reason, no traceback, no crash (HDF5 closing
# a file whose writes failed died with SIGSEGV), nothing half-written, the
# earlier output kept.
delphes_write_fails() {
    local before rc
    rm -rf "$X/d4"
    bin/hepcnn-delphes --outdir="$X/d4" --label=1 "$X/sig.root" > /dev/null || return 1
    before=$(md5sum < "$X/d4/train_000.h5")
    (ulimit -f 200; exec bin/hepcnn-delphes --outdir="$X/d4" --label=1 "$X/sig.root") > "$X/d4.out" 2>&1; rc=$?
    cat "$X/d4.out"
    [ $rc = 1 ] && ! grep -q Traceback "$X/d4.out" &&
        grep -qF "hepcnn-delphes: error: writing the output files in $X/d4 failed: File too large; the unfinished ones were removed" "$X/d4.out" &&
        [ "$(ls "$X/d4")" = train_000.h5 ] && [ "$(md5sum < "$X/d4/train_000.h5")" = "$before" ]
}
venv_check "delphes: a write that fails: one error with the system's reason, no crash, the earlier output kept" \
    delphes_write_fails
