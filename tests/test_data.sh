# Data tests (sourced by tests/run.sh): the dataset generator, the HDF5
# reader and loader (split over ranks, shuffling, normalisation, formats,
# compression), every kind of bad input, and training from files with 1-3
# MPI ranks over 1, 2 and 5 files.
echo "== data"
PY=/usr/bin/python3          # Debian's, with h5py and numpy (make deps)
D=$LOGDIR/data
rm -rf "$D"; mkdir -p "$D"
make --no-print-directory -s bin/hepcnn-datagen build/test_loader bin/hep64-native

datagen_deterministic() {
    bin/hepcnn-datagen --outdir="$D/gen1" --train=40 --val=8 --test=8 --train_files=2 --seed=5 &&
    bin/hepcnn-datagen --outdir="$D/gen2" --train=40 --val=8 --test=8 --train_files=2 --seed=5 &&
    bin/hepcnn-datagen --outdir="$D/gen3" --train=40 --val=8 --test=8 --train_files=2 --seed=6 || return 1
    for f in train_000.h5 train_001.h5 val_000.h5 test_000.h5; do cmp "$D/gen1/$f" "$D/gen2/$f" || return 1; done
    if cmp -s "$D/gen1/train_000.h5" "$D/gen3/train_000.h5"; then echo "another seed gave the same file"; return 1; fi
}
check "datagen: same seed, same bytes; another seed, other data" datagen_deterministic
check "datagen: --outdir without its folder is an error naming the option" \
    expect_fail "hepcnn-datagen: error: --outdir: expected a folder, as --outdir=DIR" bin/hepcnn-datagen --outdir

datagen_format() {
    local out
    out=$(h5ls "$D/gen1/train_000.h5") || return 1
    printf '%s\n' "$out"
    grep -q 'data *Dataset {40, 3, 64, 64}' <<<"$out" && grep -q 'label *Dataset {40}' <<<"$out" &&
        grep -q 'normweight *Dataset {40}' <<<"$out" && grep -q 'weight *Dataset {40}' <<<"$out" &&
        grep -q 'psr *Dataset {40}' <<<"$out" && grep -q 'mass *Dataset {40}' <<<"$out" || return 1
    bin/hepcnn-datagen --outdir="$D/gen224" --size=224 --train=4 --val=0 --test=0 --compress=4 &&
        h5ls "$D/gen224/train_000.h5" | grep -q 'data *Dataset {4, 3, 224, 224}' &&
        h5dump -p -H -d data "$D/gen224/train_000.h5" | grep -q DEFLATE
}
check "datagen: seed's format, readable by h5ls (64 and 224, gzip)" datagen_format

datagen_physics() {
    $PY - "$D/gen1" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1] + "/train_000.h5")
d, l, w, psr, mass = f["data"][:], f["label"][:], f["weight"][:], f["psr"][:], f["mass"][:]
assert set(np.unique(l)) <= {0, 1} and 0 < l.mean() < 1, "both classes"
assert (d >= 0).all() and d[:, 1].max() <= 1.0 + 1e-6, "energies >= 0, EM fraction in [0, 1]"
assert (d[:, 2] == np.round(d[:, 2])).all(), "track multiplicity is a count"
assert (mass[l == 0] == 0).all() and (mass[l == 1] > 0).all(), "mass: the signal mass, 0 for background"
assert set(np.unique(psr)) <= {0.0, 1.0}, "psr: the cuts' 0/1 decision"
eff = lambda cls: (w[l == cls] * psr[l == cls]).sum() / w[l == cls].sum()
assert eff(1) > 5 * eff(0) and eff(1) > 0, "the cuts select signal: %g against background %g" % (eff(1), eff(0))
assert w[l == 0].mean() > 10 * w[l == 1].mean(), "background weights large, signal small"
e = d[:, 0].sum(axis=(1, 2))
assert e[l == 1].mean() > e[l == 0].mean(), "signal carries more energy on average"
print("ok: classes, channels, weights, mass and psr as documented; cuts: signal %.3f, background %.4f" % (eff(1), eff(0)))
PY
}
check "datagen: physics-like content" datagen_physics

# A write that fails (a file size limit stands in for a full disk; the
# file system's EIO, tests/fs_faults.c) and a SIGTERM mid-file: the
# unfinished file removed, the earlier file of the same name unchanged;
# exit 1 with the system's error, 143 for the signal.
datagen_unfinished() {
    local before pid rc
    rm -rf "$D/genfail"
    bin/hepcnn-datagen --outdir="$D/genfail" --train=10 --val=0 --test=0 > /dev/null || return 1
    before=$(md5sum < "$D/genfail/train_000.h5")
    (trap '' XFSZ; ulimit -f 4000; exec bin/hepcnn-datagen --outdir="$D/genfail" --train=2000 --val=0 --test=0) \
        > "$D/genfail.out" 2>&1; rc=$?
    cat "$D/genfail.out"
    [ $rc = 1 ] && grep -q "writing $D/genfail/train_000.h5 failed: File too large" "$D/genfail.out" || return 1
    cc -shared -fPIC -o "$D/fs_faults.so" tests/fs_faults.c -ldl &&
        expect_fail "hepcnn-datagen: error: writing $D/genfail/train_000.h5 failed: Input/output error" \
            env FS_FAULTS_EIO_WRITE="genfail/train_:1:0:3" LD_PRELOAD="$(realpath "$D/fs_faults.so")" \
            bin/hepcnn-datagen --outdir="$D/genfail" --train=2000 --val=0 --test=0 || return 1
    bin/hepcnn-datagen --outdir="$D/genfail" --train=10 --val=2000000 --test=0 > "$D/genstop.out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do [ -e "$D/genfail/val_000.h5.tmp" ] && break; sleep 0.1; done
    sleep 0.5
    kill -TERM $pid; wait $pid; rc=$?
    cat "$D/genstop.out"
    [ $rc = 143 ] && grep -q "stopped by signal 15: removed the unfinished $D/genfail/val_000.h5.tmp" "$D/genstop.out" &&
        [ "$(ls "$D/genfail")" = train_000.h5 ] && [ "$(md5sum < "$D/genfail/train_000.h5")" = "$before" ]
}
check "datagen: a failed write or a signal removes the unfinished file (no crash), the earlier one kept" datagen_unfinished

for spec in "1:13" "2:9 14" "5:5 7 3 11 4"; do
    n=${spec%%:*}; rows=${spec#*:}
    rm -rf "$D/files$n"; $PY tests/make_h5.py files "$D/files$n" $rows
    check "loader: $n file(s), 1-3 ranks: split, shuffle, maxima" build/test_loader "$D/files$n" 2
done
rm -rf "$D/sorted"; $PY tests/make_h5.py sorted "$D/sorted" 400 400 300
check "loader: class-sorted files give batches of both classes near the files' fraction" build/test_loader "$D/sorted" 16 mix
$PY tests/make_h5.py formats "$D/formats"
check "loader: float16/float64 data, int8/int64 labels, gzip" build/test_loader "$D/formats" 2
$PY tests/make_h5.py gzip "$D/gzip"
check "loader: gzip float32 data, with shuffle, 2 rows a chunk (by chunk in h5gzip.c), big-endian (by HDF5)" \
    build/test_loader "$D/gzip" 2

# Training from files under MPI: the steps per epoch every rank runs is the
# fewest rows any rank holds, in whole batches (computed here by the loader
# test's own split), and the run ends (no rank waits in a collective).
mpi_files() {
    local ranks=$1 dir=$2 expected out run="$LOGDIR/run-mpi$ranks-$(basename "$2")"
    rm -rf "$run"
    expected=$(build/test_loader "$dir" 2 "$ranks" | awk '/steps per epoch/ { print $4 }')
    out=$(timeout 120 mpirun --allow-run-as-root --oversubscribe -np "$ranks" -x OMP_NUM_THREADS=1 \
          bin/hep64-native --config=configs/demo_64.json --inputpath="$dir" --outputpath="$run" \
          --train_batch_size=2 --batch_size_per_node=true --num_epochs=2 --display_interval=1 \
          --trainsamples=1000000 2>&1) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    grep -q "($expected per epoch)" <<<"$out" || { echo "expected $expected steps per epoch"; return 1; }
    [ "$(grep -c 'TRAINING REPORT' <<<"$out")" -eq $((2 * expected)) ]
}
for n in 1 2 5; do
    for ranks in 1 2 3; do
        check "train from files: $ranks rank(s), $n file(s), equal steps" mpi_files $ranks "$D/files$n"
    done
done

# Bad inputs: each a clear error naming the file (and dataset, row), a
# non-zero exit, and what was in outputpath before still there.
bad_input() {
    local case=$1 expected=$2 dir="$D/bad-$1" out="$D/out-$1"
    rm -rf "$dir" "$out"; mkdir -p "$out"
    echo "earlier results" > "$out/keep.txt"
    case $case in
        missing) dir="$D/does-not-exist" ;;
        empty) mkdir -p "$dir" ;;
        *) $PY tests/make_h5.py "$case" "$dir" || return 1 ;;
    esac
    expect_fail "$expected" bin/hep64-native --config=configs/demo_64.json --inputpath="$dir" --outputpath="$out" \
        --num_epochs=1 --train_batch_size=4 || return 1
    [ "$(cat "$out/keep.txt")" = "earlier results" ] || { echo "outputpath was changed"; return 1; }
}
check "bad input: inputpath missing" bad_input missing "command line (--inputpath): inputpath '$D/does-not-exist': No such file or directory"
# The same from a config file names the file.
config_inputpath_missing() {
    sed "s#\"inputpath\": *\"[^\"]*\"#\"inputpath\": \"$D/no-such-dir\"#" configs/demo_64.json > "$D/missing.json" &&
        grep -q "no-such-dir" "$D/missing.json" &&
        expect_fail "$D/missing.json: inputpath '$D/no-such-dir': No such file or directory" \
            bin/hep64-native --config="$D/missing.json" --outputpath="$D/out-config-missing" --num_epochs=1
}
check "bad input: a config file's inputpath missing names the file" config_inputpath_missing
# A data file another program has open for writing (h5py in append mode,
# a conversion still running): HDF5 refuses to open a file so locked, and
# the error says so instead of calling it damaged; once the writer closes
# it, the same command trains.
locked_data_file() {
    local dir="$D/locked" out="$D/out-locked" pid
    rm -rf "$dir" "$out"
    $PY tests/make_h5.py files "$dir" 16 || return 1
    $PY -c 'import sys, time, h5py; f = h5py.File(sys.argv[1], "a"); open(sys.argv[2], "w").close(); time.sleep(60)' \
        "$dir/train_000.h5" "$D/locked.ready" &
    pid=$!
    for _ in $(seq 300); do [ -e "$D/locked.ready" ] && break; sleep 0.1; done
    expect_fail "$dir/train_000.h5: another program holds it locked (still writing it?): let that finish, then run again" \
        bin/hep64-native --config=configs/demo_64.json --inputpath="$dir" --outputpath="$out" --num_epochs=1 \
        --train_batch_size=4 --trainsamples=16 || { kill $pid; return 1; }
    kill $pid; wait $pid 2>/dev/null; rm -f "$D/locked.ready"
    bin/hep64-native --config=configs/demo_64.json --inputpath="$dir" --outputpath="$out" --num_epochs=1 \
        --train_batch_size=4 --trainsamples=16 > /dev/null
}
check "bad input: a data file another program has open for writing is said to be locked, not damaged" locked_data_file
# A data file written again while a run reads it (with HDF5's locks off, as
# on many cluster file systems, or cut short): the labels read at the start
# may no longer match its images, which the run used to train on regardless
# (a cut file reads as zeros). It stops at its next read of the file,
# naming it and what changed; its checkpoints stay. A file touched (to keep
# a scratch purge away) holds the same events: the run goes on.
data_changed() {
    local how=$1 expected=$2 dir="$D/changed-$1" out="$D/out-changed-$1" pid rc
    rm -rf "$dir" "$out" "$out.log"
    bin/hepcnn-datagen --outdir="$dir" --train=300 --train_files=3 --val=64 --test=0 --seed=3 > /dev/null || return 1
    timeout 120 bin/hep64-native --config=configs/demo_64.json --inputpath="$dir" --outputpath="$out" \
        --train_batch_size=8 --num_epochs=3 --checkpoint_minutes=0 > "$out.log" 2>&1 &
    pid=$!
    wait_for "$out.log" "CHECKPOINT" || { kill $pid; return 1; }
    case $how in
        cut) truncate -s 100000 "$dir/train_001.h5" ;;
        relabelled) HDF5_USE_FILE_LOCKING=FALSE $PY -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f: f["label"][5] = 1 - f["label"][5]' "$dir/train_001.h5" || { kill $pid; return 1; } ;;
        touched) touch "$dir/train_001.h5" ;;
    esac
    wait $pid; rc=$?
    tail -1 "$out.log"
    if [ "$how" = touched ]; then
        [ $rc -eq 0 ] && grep -q "CHECKPOINT: step [0-9]*, epoch 3 ->" "$out.log"
        return
    fi
    [ $rc -eq 1 ] || { echo "exit $rc"; return 1; }
    grep -qF "hepcnn: error: $dir/train_001.h5 changed while this run was reading it ($expected" "$out.log" || return 1
    [ "$how" != relabelled ] || grep -q "; label\[5\] was [01], is now [01])" "$out.log" || return 1
    $PY tests/check_outputs.py loadable "$out"
}
check "bad input: a data file cut short under a running run stops it, naming the file" data_changed cut \
    "its size went from 14780640 to 100000 bytes)"
check "bad input: a data file relabelled in place under a running run stops it, naming the row" data_changed \
    relabelled "it was written at "
check "bad input: a data file touched under a running run (same events): the run goes on" data_changed touched ""
# A file system that fails reads for a while (a network file system's
# client evicted, a server's failover): a data file's failed reads at the
# start, image reads, or opening again, are tried again after 1, 4 and
# 16 s. A fault that passes costs the run nothing; one that lasts stops it
# naming the file and the system's error, not calling the file damaged. tests/fs_faults.c fails
# the reads (FS_FAULTS_EIO=NAME:COUNT:BYTES:SKIP); the 21st read of any size
# is one of the file's metadata while the loader opens it again.
rm -rf "$D/fs"; $PY tests/make_h5.py files "$D/fs" 200
cc -shared -fPIC -o "$D/fs_faults.so" tests/fs_faults.c -ldl
file_system_fails() {
    local how=$1 spec=$2 out="$D/out-fs-$1" rc
    rm -rf "$out"
    # a lasting fault, with two shorter waits of the site's own (HEPCNN_IO_RETRY_WAITS); a
    # damaged one fails with EINVAL (FS_FAULTS_ERRNO)
    local waits='' errno=''
    [ "$how" = lasting ] && waits=0,1
    [ "$how" = damaged ] && errno=22
    FS_FAULTS_ERRNO=$errno HEPCNN_IO_RETRY_WAITS=$waits FS_FAULTS_EIO="$spec" LD_PRELOAD="$(realpath "$D/fs_faults.so")" \
        timeout 120 bin/hep64-native --config=configs/demo_64.json --inputpath="$D/fs" --outputpath="$out" \
        --num_epochs=1 --train_batch_size=4 > "$out.log" 2>&1
    rc=$?
    grep -a "hepcnn: warning\|hepcnn: error" "$out.log"
    case $how in
        passing) [ $rc -eq 0 ] && [ "$(grep -c "hepcnn: warning: reading rows 0..199 of $D/fs/train_000.h5 failed (the file system: Input/output error): trying again in" "$out.log")" -eq 2 ] ;;
        loading) [ $rc -eq 0 ] && [ "$(grep -c "hepcnn: warning: reading $D/fs/train_000.h5 failed (the file system: Input/output error): trying again in" "$out.log")" -eq 2 ] ;;
        reopening) [ $rc -eq 0 ] && grep -q "hepcnn: warning: opening $D/fs/train_000.h5 again failed (it was read at the start: its file system?): trying again in 1 s (try 2 of 4)" "$out.log" ;;
        damaged) [ $rc -eq 1 ] && ! grep -q "hepcnn: warning" "$out.log" &&
            grep -qF "hepcnn: error: $D/fs/train_000.h5: cannot read rows 0..199 of dataset 'data' (damaged or truncated?)" "$out.log" ;;
        lasting) [ $rc -eq 1 ] && [ "$(grep -c "warning: reading rows" "$out.log")" -eq 2 ] &&
            grep -q "warning: reading rows 0..199 of $D/fs/train_000.h5 failed (the file system: Input/output error): trying again in 1 s (try 3 of 3)" "$out.log" &&
            grep -qF "hepcnn: error: $D/fs/train_000.h5: reading rows 0..199 of dataset 'data' failed in the file system (Input/output error), 3 times over 1 s: the file itself may be intact" "$out.log" ;;
    esac
}
check "file system: image reads failing twice are tried again, the run goes on" file_system_fails passing "train_000.h5:2"
check "file system: a data file's first reads (at the start) failing twice are tried again, the run goes on" \
    file_system_fails loading "train_000.h5:2:0"
check "file system: a data file failing to open again is tried again, the run goes on" file_system_fails reopening \
    "train_000.h5:2:0:20"
check "file system: image reads failing on stop the run after the tries HEPCNN_IO_RETRY_WAITS sets, naming the file and the error" \
    file_system_fails lasting "train_000.h5:-1"
check "file system: image reads failing with EINVAL (a damaged header's offset) are the file's, said at once" \
    file_system_fails damaged "train_000.h5:-1"
# A stop signal (SLURM's time limit, scancel) during the waits of a lasting
# fault ends them: the run does not sit out 30 s waits (nor is it killed in
# them) for data it will not use. The first 1 MiB read, the normalisation's
# scan at the start (no signal handler yet), goes through; the loader's fail.
file_system_fails_then_stop() {
    local out="$D/out-fs-stop" pid rc t0
    rm -rf "$out"
    HEPCNN_IO_RETRY_WAITS=30,30 FS_FAULTS_EIO="train_000.h5:-1:1048576:1" LD_PRELOAD="$(realpath "$D/fs_faults.so")" \
        timeout 120 bin/hep64-native --config=configs/demo_64.json --inputpath="$D/fs" --outputpath="$out" \
        --num_epochs=1 --train_batch_size=4 > "$out.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do grep -q "trying again in 30 s" "$out.log" && break; sleep 0.1; done
    sleep 1
    t0=$SECONDS
    pkill -TERM -f "^bin/hep64-native.*$out"; wait $pid; rc=$?
    cat "$out.log"
    echo "rc $rc, $((SECONDS - t0)) s after SIGTERM"
    [ $rc -eq 1 ] && [ $((SECONDS - t0)) -lt 20 ] && [ "$(grep -c "trying again in" "$out.log")" -eq 1 ] &&
        grep -q "warning: reading rows [0-9.]* of $D/fs/train_000.h5 failed (the file system: Input/output error): not tried again: SIGTERM asks the run to stop" "$out.log" &&
        grep -q "hepcnn: error: $D/fs/train_000.h5: reading rows [0-9.]* of dataset 'data' failed in the file system (Input/output error), once over [0-9]* s: the file itself may be intact" "$out.log"
}
check "file system: SIGTERM during the waits of a lasting fault ends them: the run stops at once, naming the file" \
    file_system_fails_then_stop
check "bad input: inputpath empty" bad_input empty "command line (--inputpath): inputpath '$D/bad-empty' has no training files"
check "bad input: no train files" bad_input no_train "has no training files"
check "bad input: not HDF5" bad_input not_hdf5 "train_000.h5: not an HDF5 file (or truncated)"
check "bad input: truncated file" bad_input truncated "train_000.h5: cannot open as HDF5 (damaged or truncated?)"
check "bad input: missing dataset" bad_input missing_dataset "train_000.h5: missing dataset 'weight'"
check "bad input: wrong rank" bad_input wrong_rank "train_000.h5: dataset 'data' has shape {8,3,64}, expected {n,3,64,64}"
check "bad input: wrong image shape" bad_input wrong_shape "train_000.h5: dataset 'data' has shape {8,3,32,32}, expected {n,3,64,64} for the compiled network hep64"
check "bad input: datasets of different lengths" bad_input lengths "train_000.h5: dataset 'label' has 7 rows but 'data' has 8"
check "bad input: label outside the classes" bad_input bad_label "train_000.h5: label[4] = 5 is outside the classes 0..1"
check "bad input: NaN in data" bad_input nan "train_000.h5: dataset 'data' row 5, channel 1, pixel (10,20) is NaN"
check "bad input: Inf in data" bad_input inf "train_000.h5: dataset 'data' row 5, channel 1, pixel (10,20) is infinite"
check "bad input: a compression filter HDF5 lacks (h5py's LZF)" bad_input lzf "train_000.h5: dataset 'data' is compressed with filter 'lzf' (HDF5 filter id 32000), which this HDF5 library cannot decode: set HDF5_PLUGIN_PATH"
check "bad input: an element type damaged to 23812 bytes (HDF5 read past its chunk: a crash)" bad_input damaged_type \
    "train_000.h5: dataset 'data' does not hold 2-, 4- or 8-byte floats (its type is damaged?)"
check "bad input: a gzip chunk that inflates to half an image (HDF5 read past its buffer)" bad_input gzip_short \
    "train_000.h5: cannot read rows 0..7 of dataset 'data' (damaged or truncated?)"
check "bad input: a chunk index saying an image's gzip was skipped (HDF5 read past its buffer)" bad_input gzip_skipped \
    "train_000.h5: cannot read rows 0..7 of dataset 'data' (damaged or truncated?)"
check "bad input: fewer samples than a batch" bad_input few "only 3 samples, fewer than one batch of 4"
check "bad input: 2^62 rows declared (no storage)" bad_input huge_rows "train_000.h5: dataset 'data' declares 4611686018427387904 rows, more than this machine can index"
# Mutated copies of a generated dataset (bytes of HDF5's headers
# overwritten, files cut short; plain and gzip): each trains, or stops with
# status 1 and an error naming the file, never a crash or a hang.
check "bad input: 40 mutated data files train or are refused naming the file" $PY tests/fuzz/mutate_h5.py data 40 1
