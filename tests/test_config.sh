# Config and command-line tests (sourced by tests/run.sh): the seed's configs
# work unchanged, and every bad config or option is a clear error naming the
# file and key.
echo "== configs and command line"
BIN=bin/hep64-native
CFG=$LOGDIR/configs
mkdir -p "$CFG"
make --no-print-directory -s "$BIN" bin/hep224-native bin/hep224-knl bin/hep224-hsw bin/hep64-knl bin/hep64-hsw

# write_config NAME: the demo config with a python edit applied
write_config() {
    local name=$1 edit=$2
    python3 - configs/demo_64.json "$CFG/$name.json" "$edit" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(cfg, indent=2))
PY
}
SHORT="--dummy_data --trainsamples=8 --num_epochs=1 --train_batch_size=4 --outputpath=$LOGDIR/run-refused"

check "env: a bad HEPCNN_STREAM_MIB is named" expect_fail "HEPCNN_STREAM_MIB: expected a whole number of MiB (0 streams every layer's output), got '12MB'" env HEPCNN_STREAM_MIB=12MB $BIN --config=configs/demo_64.json $SHORT
check "env: a bad HEPCNN_IO_RETRY_WAITS is named" expect_fail "HEPCNN_IO_RETRY_WAITS = '1,,16' (the environment): expected 1 to 8 waits in whole seconds 0..3600, comma-separated, as 1,4,16 (the default)" env HEPCNN_IO_RETRY_WAITS=1,,16 $BIN --config=configs/demo_64.json $SHORT
printf '{\n  "trainsamples": 10,\n  "num_epochs": 1\n  "dropout_p": 0.5\n}\n' > "$CFG/malformed.json"
check "config: malformed JSON names file:line:col" expect_fail "$CFG/malformed.json:4:3: malformed JSON" $BIN --config=$CFG/malformed.json $SHORT
printf '{\n  "trainsamples": 10,\n' > "$CFG/cut.json"; printf ' \n\n' > "$CFG/blank.json"; printf '{"num_epochs": \0 1}' > "$CFG/nul.json"
check "config: a file cut short, empty, or with a NUL byte: each said as such" bash -c "
    $(declare -f expect_fail)
    expect_fail '$CFG/cut.json:3:1: malformed JSON: the file ends inside it (cut short?)' $BIN --config=$CFG/cut.json $SHORT &&
    expect_fail '$CFG/blank.json: the file is empty (expected a JSON object' $BIN --config=$CFG/blank.json $SHORT &&
    expect_fail '$CFG/nul.json: a NUL byte at offset 15: not a JSON text file' $BIN --config=$CFG/nul.json $SHORT"
write_config unknown 'cfg["learning_rat"] = 0.1'
check "config: unknown key lists the known keys" expect_fail "$CFG/unknown.json: unknown key 'learning_rat' (known keys: input_shape, inputpath" $BIN --config=$CFG/unknown.json $SHORT
write_config unknown_nested 'cfg["conv_params"]["stride"] = 1'
check "config: unknown conv_params key" expect_fail "unknown key 'conv_params.stride' (known keys of conv_params: data_format, num_filters" $BIN --config=$CFG/unknown_nested.json $SHORT
write_config wrong_type 'cfg["trainsamples"] = "many"'
check "config: wrong type" expect_fail "$CFG/wrong_type.json: key 'trainsamples': expected an integer, got a string" $BIN --config=$CFG/wrong_type.json --dummy_data
write_config wrong_type_bool 'cfg["batch_size_per_node"] = 1'
check "config: wrong type (boolean)" expect_fail "key 'batch_size_per_node': expected true or false, got a number" $BIN --config=$CFG/wrong_type_bool.json $SHORT
write_config fraction 'cfg["num_epochs"] = 1.5'
check "config: non-integer count" expect_fail "key 'num_epochs': expected an integer, got a number" $BIN --config=$CFG/fraction.json $SHORT
write_config layers 'cfg["num_layers"] = 4'
check "config: num_layers contradicts the network" expect_fail "num_layers = 4, but the compiled network hep64 has 3 conv+pool layers" $BIN --config=$CFG/layers.json $SHORT
write_config shape 'cfg["input_shape"] = [3, 224, 224]'
check "config: input_shape contradicts the network" expect_fail "input_shape [3,224,224] does not match the compiled network hep64 ([3,64,64] or [64,64,3])" $BIN --config=$CFG/shape.json $SHORT
write_config fc 'cfg["num_fc_units"] = 1024'
check "config: num_fc_units contradicts the network" expect_fail "num_fc_units = 1024, but the compiled network hep64 has 512 hidden dense units" $BIN --config=$CFG/fc.json $SHORT
write_config filters 'cfg["conv_params"]["num_filters"] = 64'
check "config: num_filters contradicts the network" expect_fail "conv_params.num_filters = 64, but the compiled network hep64 has 128 filters" $BIN --config=$CFG/filters.json $SHORT
check "config: scaling_improvements contradicts" expect_fail "scaling_improvements = true, but the compiled network hep64 does not use global average pooling" $BIN --config=configs/demo_64.json --scaling_improvements=true $SHORT
check "config: batch_norm on a network without it is refused" expect_fail "batch_norm = true, but the compiled network hep64 has no batch normalisation (networks/hep64.lua); build one that has, e.g. make NET=hep64_bn" $BIN --config=configs/demo_64.json --batch_norm=true $SHORT
bn_needs_key() {
    make --no-print-directory -s bin/hep64_bn-native &&
        expect_fail "configs/demo_64.json: batch_norm = false, but the compiled network hep64_bn normalises batches (networks/hep64_bn.lua)" bin/hep64_bn-native --config=configs/demo_64.json $SHORT
}
check "config: a batch-norm network without batch_norm: true is refused" bn_needs_key
# An edited network (tiny_winograd6: 20x20, 2 pooled convs of 16 to 32
# filters, global average pool, 8 hidden units) under the seed-like demo
# config: every contradicting key in one go, then the run with the
# overrides the error prints, which notes the filters it cannot check.
edited_network_keys() {
    local bin=bin/tiny_winograd6-native out fixes key
    make --no-print-directory -s $bin || return 1
    out=$(expect_fail "these keys describe another network than tiny_winograd6" $bin --config=configs/demo_64.json $SHORT) ||
        { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    for key in "input_shape [3,64,64]" "num_layers = 3" "num_fc_units = 512" "scaling_improvements = false"; do
        grep -qF "configs/demo_64.json: $key" <<<"$out" || { echo "no error for $key"; return 1; }
    done
    if grep -q "num_filters" <<<"$out"; then echo "num_filters reported: the convs differ, no value can match"; return 1; fi
    fixes=$(sed -n 's/.*on the command line: //p' <<<"$out")
    [ "$fixes" = "--input_shape=[3,20,20] --num_layers=2 --num_fc_units=8 --scaling_improvements=true" ] ||
        { echo "unexpected overrides: $fixes"; return 1; }
    rm -rf "$LOGDIR/run-edited"
    # shellcheck disable=SC2086  # the overrides are words
    out=$($bin --config=configs/demo_64.json --dummy_data --trainsamples=8 --num_epochs=1 --train_batch_size=4 \
          --outputpath="$LOGDIR/run-edited" $fixes 2>&1) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    grep -qF "note: conv_params.num_filters = 128 is not checked: the convs of tiny_winograd6" <<<"$out"
}
check "config: an edited network's contradicting keys all at once, with their overrides" edited_network_keys
# A build whose tuning came from another CPU's section of the tuning file
# (HEPCNN_TUNING_HOST: built on a login node, or copied) says so when it
# runs here, naming the section, this CPU and the command that measures it;
# one built from this CPU's own section, or from a section that gave it no
# choice (a block for another network), says nothing. (tiny_avgpool; the
# run's overrides from the config's error.)
tuning_host_note() {
    local d=$LOGDIR/tuning-host here key net out fixes i b variants=()
    rm -rf "$d"; mkdir -p "$d"
    here=$(tuning_host_key)
    [ -n "$here" ] && [ "$here" != nil ] || { echo "this CPU has no key"; return 1; }
    local specs=("$here|tiny_avgpool" "Other family 1 model 1|hep64" "Other family 1 model 1|tiny_avgpool")
    for i in 0 1 2; do
        IFS='|' read -r key net <<<"${specs[i]}"
        mkdir -p "$d/$i"
        printf 'return { hosts = { ["%s"] = { networks = { %s = { block = 16 } } } } }\n' "$key" "$net" > "$d/$i/t.lua"
        variants+=("tuning-host-$i:tiny_avgpool:native:$d/$i/t.lua:$key")
    done
    prebuild_variants "${variants[@]}"
    for i in 0 1 2; do
        IFS='|' read -r key net <<<"${specs[i]}"
        b=build/variants/tuning-host-$i
        variant_built tuning-host-$i || return 1
        fixes=$(expect_fail "these keys describe another network than tiny_avgpool" "$b/hepcnn" \
            --config=configs/demo_64.json $SHORT | sed -n 's/.*on the command line: //p')
        # shellcheck disable=SC2086  # the overrides are words
        out=$("$b/hepcnn" --config=configs/demo_64.json --dummy_data --trainsamples=8 --num_epochs=1 \
              --train_batch_size=4 --outputpath="$d/$i/run" $fixes 2>&1) || { printf '%s\n' "$out"; return 1; }
        echo "${specs[i]}: $(grep 'note: this build' <<<"$out")"
        if [ "${specs[i]}" = "Other family 1 model 1|tiny_avgpool" ]; then
            grep -qF "Channel block B = 16 ($d/$i/t.lua hosts[\"$key\"])" "$b/model.c" &&
                grep -qF "hepcnn: note: this build's tuning came from $d/$i/t.lua hosts[\"Other family 1 model 1\"], measured on another CPU than this one ($here), and may run slower here: make tune NET=tiny_avgpool ARCH=native on this machine measures its own" <<<"$out" || return 1
        else
            ! grep -q 'measured on another CPU' <<<"$out" || return 1
        fi
    done
}
check "config: a build tuned for another CPU says so at its start, one tuned for this CPU does not" tuning_host_note
write_config lr_mode 'cfg["learning_rate"] = {"mode": "cosine", "learning_rate_params": {"1": 0.1}}'
check "config: schedule mode" expect_fail "$CFG/lr_mode.json: key 'learning_rate': expected 'mode' \"piecewise\" or \"polynomial\"" $BIN --config=$CFG/lr_mode.json $SHORT
write_config lr_key 'cfg["learning_rate"] = {"mode": "piecewise", "learning_rate_params": {"ten": 0.1}}'
check "config: schedule step key" expect_fail "key 'learning_rate': expected 'learning_rate_params' keys that are step numbers >= 0 (got the key \"ten\")" $BIN --config=$CFG/lr_key.json $SHORT
write_config lr_rate 'cfg["learning_rate"] = {"mode": "polynomial", "learning_rate_params": {"0": 0.1, "5": -1}}'
check "config: schedule rate" expect_fail "key 'learning_rate': expected 'learning_rate_params' rates that are positive numbers (step 5)" $BIN --config=$CFG/lr_rate.json $SHORT
check "cli: schedule on the command line" expect_fail "command line: --learning_rate={\"mode\": \"piecewise\"}: expected 'learning_rate_params' as an object" $BIN --config=configs/demo_64.json '--learning_rate={"mode": "piecewise"}' $SHORT
# The memory check: /proc and cgroup limits read right (made-up trees); a
# batch too large is refused before the model touches its pages, naming the
# key and the largest batch that fits, and that batch is the boundary.
make --no-print-directory -s build/test_memory
check "memory: MemAvailable and cgroup v1/v2 limits, nested as SLURM nests them" build/test_memory "$LOGDIR/memory-trees"
memory_boundary() {
    local out fits
    out=$(HEPCNN_TEST_MEMORY_MIB=300 $BIN --config=configs/demo_64.json --dummy_data --train_batch_size=512 \
          --trainsamples=512 --num_epochs=1 --outputpath="$LOGDIR/run-memory" 2>&1)
    echo "$out"
    fits=$(grep -o "lower train_batch_size so that a rank's batch is at most [0-9]*" <<<"$out" | awk '{ print $NF }')
    [ -n "$fits" ] && [ "$fits" -gt 1 ] && [ "$fits" -lt 512 ] || return 1
    echo "== batch $fits: passes the check and trains a step"
    rm -rf "$LOGDIR/run-memory"
    HEPCNN_TEST_MEMORY_MIB=300 $BIN --config=configs/demo_64.json --dummy_data --train_batch_size="$fits" \
        --trainsamples="$fits" --num_epochs=1 --outputpath="$LOGDIR/run-memory" || return 1
    echo "== batch $((fits + 1)): refused"
    expect_fail "gives a batch of $((fits + 1)) images per rank" env HEPCNN_TEST_MEMORY_MIB=300 $BIN \
        --config=configs/demo_64.json --dummy_data --train_batch_size=$((fits + 1)) --trainsamples=$((fits + 1)) \
        --num_epochs=1 --outputpath="$LOGDIR/run-memory"
}
check "memory: a batch too large is refused naming the largest that fits, which trains" memory_boundary
check "memory: a batch beyond this machine's memory is refused, not killed by the kernel" expect_fail \
    "train_batch_size gives a batch of 200000 images per rank, which needs" \
    $BIN --config=configs/demo_64.json --dummy_data --train_batch_size=200000 --trainsamples=200000 --num_epochs=1 \
    --outputpath="$LOGDIR/run-refused"
repeated_key() {
    sed '0,/{/s//{\n  "num_epochs": 9,/' configs/demo_64.json > "$CFG/repeated.json"
    grep -c '"num_epochs"' "$CFG/repeated.json"
    local out
    out=$($BIN --config="$CFG/repeated.json" --dummy_data --trainsamples=64 --train_batch_size=32 \
          --outputpath="$LOGDIR/run-repeated" 2>&1) || return 1
    echo "$out"
    local epochs
    epochs=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_epochs"])' "$CFG/repeated.json")
    grep -q "note: $CFG/repeated.json gives key 'num_epochs' more than once; the last value counts" <<<"$out" &&
        grep -q "$((2 * epochs)) steps (2 per epoch)" <<<"$out"
}
rm -rf "$LOGDIR/run-repeated"
check "config: a key given twice: the last counts, as Python's json reads it, with a note" repeated_key
check "cli: a range error names the command line as the value's source" expect_fail "command line (--dropout_p): dropout_p is the keep probability and must be in (0, 1], got 1.5" $BIN --config=configs/demo_64.json --dropout_p=1.5 $SHORT
write_config zero_epochs 'cfg["num_epochs"] = 0'
check "config: a range error names the config file as the value's source" expect_fail "$CFG/zero_epochs.json: num_epochs must be positive, got 0" $BIN --config=$CFG/zero_epochs.json --dummy_data
check "config: optimizer" expect_fail "optimizer 'SGD' is not implemented (expected ADAM)" $BIN --config=configs/demo_64.json --optimizer=SGD $SHORT
# More threads than images per rank: the backward cuts images into pieces
# (hep64: 4 tile rows in its Winograd layers), and the note names the
# threads those leave waiting; 3 threads for 2 images have work enough.
threads_over_images() {
    local out pieces
    pieces=$(grep -o 'backward_pieces = [0-9]*' build/hep64-native/model.c | grep -o '[0-9]*$') || return 1
    rm -rf "$LOGDIR/run-threads"   # a checkpoint left by an earlier run of the suite would be continued
    out=$(OMP_NUM_THREADS=$((pieces + 2)) $BIN --config=configs/demo_64.json $SHORT --train_batch_size=1 \
          --outputpath="$LOGDIR/run-threads") || return 1
    grep -F "hepcnn: note: $((pieces + 2)) threads for 1 image(s) per rank: the convolutions' backward" <<<"$out" &&
        grep -qF "as few as $pieces pieces in some layers, $pieces for the batch, so 2 thread(s) wait there" <<<"$out" ||
        return 1
    rm -rf "$LOGDIR/run-threads"
    out=$(OMP_NUM_THREADS=3 $BIN --config=configs/demo_64.json $SHORT --train_batch_size=2 \
          --outputpath="$LOGDIR/run-threads") || return 1
    ! grep -q "threads for" <<<"$out"
}
check "cli: more threads than images per rank: a note counts the threads the backward leaves waiting" threads_over_images
# More threads than the CPUs the rank may run on (taskset gives it one):
# a note with the count to use; as many threads as CPUs: none.
threads_over_cpus() {
    local out
    rm -rf "$LOGDIR/run-cpus"
    out=$(OMP_NUM_THREADS=3 taskset -c 0 $BIN --config=configs/demo_64.json $SHORT --outputpath="$LOGDIR/run-cpus") ||
        { printf '%s\n' "$out"; return 1; }
    grep 'CPU(s)' <<<"$out"
    grep -qF "hepcnn: note: 3 threads (OMP_NUM_THREADS) on the 1 CPU(s) this rank may run on" <<<"$out" &&
        grep -qF "OMP_NUM_THREADS=1 (or more CPUs for the rank: srun -c)" <<<"$out" || return 1
    rm -rf "$LOGDIR/run-cpus"
    out=$(OMP_NUM_THREADS=1 taskset -c 0 $BIN --config=configs/demo_64.json $SHORT --outputpath="$LOGDIR/run-cpus") &&
        ! grep -q 'CPU(s) this rank' <<<"$out"
}
check "cli: more threads than the CPUs a rank may run on: a note with the count to use" threads_over_cpus
check "cli: missing --config" expect_fail "no config file given: use --config=FILE" $BIN --dummy_data
check "cli: config file not found" expect_fail "cannot open config file $CFG/nope.json: No such file or directory" $BIN --config=$CFG/nope.json
check "cli: --config without '=' says how to give the file" \
    expect_fail "command line: --config needs a file, joined to it by '=': --config=FILE" $BIN --config configs/demo_64.json
# An empty path is refused before anything is written: as a folder it would
# have put logs/ and models/ at the file system's root.
write_config empty_inputpath 'cfg["inputpath"] = ""'
check "config: an empty inputpath is refused naming the file" expect_fail \
    "$CFG/empty_inputpath.json: inputpath must name a folder (\".\" for the current one), got \"\"" \
    $BIN --config=$CFG/empty_inputpath.json $SHORT
check "cli: an empty --outputpath is refused, not taken as the file system's root" expect_fail \
    "command line (--outputpath): outputpath must name a folder (\".\" for the current one), got \"\"" \
    $BIN --config=configs/demo_64.json $SHORT --outputpath=
# An error that quotes bytes which are not text (here a path with a stray
# byte and a terminal escape; from a damaged checkpoint, its network name)
# shows them as \xNN; UTF-8 (a non-ASCII folder) passes unchanged.
escaped_error() {
    local out want
    out=$($BIN --config="$CFG/"$'\xc3\xa9t\xe9/a\x1b[31m.json' 2>&1)
    want="hepcnn: error: cannot open config file $CFG/"$'\xc3\xa9'"t\\xe9/a\\x1b[31m.json: No such file or directory"
    printf '%s\n' "$out"
    [ "$out" = "$want" ] || { echo "expected: $want"; return 1; }
}
check "cli: an error quoting bytes that are not text shows them as \\xNN" escaped_error
check "cli: unknown option" expect_fail "command line: unknown option '--epochs'" $BIN --config=configs/demo_64.json --epochs=3
check "cli: bad option value" expect_fail "command line: --num_epochs=three: expected an integer" $BIN --config=configs/demo_64.json --num_epochs=three
check "cli: --num_tasks checked against MPI" expect_fail "command line (--num_tasks): num_tasks = 4, but MPI started 1 rank(s)" $BIN --config=configs/demo_64.json --num_tasks=4 $SHORT
write_config two_servers 'cfg["num_ps"] = 2'
check "config: num_ps from the config file, checked against MPI, names the file" \
    expect_fail "$CFG/two_servers.json: num_ps = 2 leaves no workers: MPI started 1 rank(s)" \
    $BIN --config="$CFG/two_servers.json" $SHORT
check "cli: outputpath that cannot be created names its source" \
    expect_fail "command line (--outputpath): cannot create outputpath '/proc/hepcnn/x'" \
    $BIN --config=configs/demo_64.json --dummy_data --outputpath=/proc/hepcnn/x
# Another user's run folder: one this user cannot write is named as
# outputpath with its source, not later as the lock file; one it can write
# (a group's shared folder) but whose lock file is another user's is named
# as that user's run; this user's own lock file made read-only is named as
# such. Nothing is written in any. Root (CI) passes every permission check,
# so there the run is made as the user nobody, from copies of the binary
# and config it can read. A plain user cannot give a file away, so there
# another user's lock file is a link to one of root's.
outputpath_of_another_user() {
    local kind=$1 d rc run want lock
    d=$(mktemp -d /tmp/hepcnn-ro.XXXXXX) || return 1
    lock=$d/theirs/.hepcnn.lock
    mkdir "$d/theirs" && cp "$BIN" configs/demo_64.json "$d/" && chmod 755 "$d" || return 1
    case $kind in
    folder)
        chmod 555 "$d/theirs" || return 1
        want="command line (--outputpath): outputpath '$d/theirs' is not writable by this user (Permission denied)" ;;
    lock)
        if [ "$(id -u)" -eq 0 ]; then touch "$lock" && chmod 444 "$lock"; else ln -s /etc/passwd "$lock"; fi &&
            chmod 777 "$d/theirs" || return 1
        want="outputpath $d/theirs holds another user's run: its lock file $lock belongs to user root and is not writable" ;;
    own-lock)
        touch "$lock" && chmod 444 "$lock" || return 1
        [ "$(id -u)" -ne 0 ] || chown -R nobody "$d/theirs" || return 1
        want="outputpath $d/theirs: its lock file $lock is this user's own but not writable (Permission denied; mode 444): make it writable (chmod u+w) or delete it" ;;
    esac
    run=("$d/${BIN##*/}" --config="$d/demo_64.json" --dummy_data --trainsamples=8 --train_batch_size=4 --num_epochs=1
         --outputpath="$d/theirs")
    [ "$(id -u)" -ne 0 ] || run=(runuser -u nobody -- "${run[@]}")
    expect_fail "$want" "${run[@]}"
    rc=$?
    [ "$(ls -A "$d/theirs")" = "$([ "$kind" = folder ] || echo .hepcnn.lock)" ] ||
        { echo "something was written into $d/theirs"; rc=1; }
    rm -rf "$d"
    return $rc
}
check "cli: an outputpath this user cannot write names its source; nothing written there" \
    outputpath_of_another_user folder
check "cli: an outputpath whose lock file is another user's names that user; nothing written there" \
    outputpath_of_another_user lock
check "cli: a lock file of this user's own made read-only is not called another user's; nothing written there" \
    outputpath_of_another_user own-lock
no_effect_note() {
    local out
    out=$($BIN --config=tests/seed_configs/cori_knl_64.json $SHORT --restart=true 2>&1) || { printf '%s\n' "$out"; return 1; }
    grep 'note' <<<"$out"
    [ "$(grep -c 'keys of the original that do nothing here: momentum (Adam has no momentum term), time (the report lines always carry the times), conv_params.data_format (the generator chooses the layout)' <<<"$out")" -eq 1 ] &&
        grep -q 'restart: true made the original start from scratch' <<<"$out"
}
check "config: keys of the original without effect here are named once" no_effect_note
# Test mode reads the test files whatever dummy_data says: a user who adds
# --dummy_data is told so before the run needs the files.
check "config: --dummy_data in test mode is noted as doing nothing" bash -c \
    "$BIN --config=configs/demo_64.json --mode=test --dummy_data --inputpath=$LOGDIR/no-such-dir 2>&1 |
     grep -qF 'note: dummy_data does nothing in test mode: it evaluates the checkpoint on the test files in inputpath'"
check "cli: --help lists the keys" bash -c "$BIN --help | grep -q 'Config keys: input_shape, inputpath'"
# --help comes before MPI_Init (a singleton MPI_Init starts orted): with
# OpenMPI told to use a point-to-point layer that does not exist, a run
# fails in MPI_Init but --help still prints.
help_without_mpi() {
    if OMPI_MCA_pml=none_such $BIN --config=configs/demo_64.json $SHORT; then
        echo "MPI_Init did not fail: the check would prove nothing"; return 1
    fi
    OMPI_MCA_pml=none_such $BIN --help | grep -q 'Config keys: input_shape, inputpath'
}
check "cli: --help before MPI starts (works where MPI_Init fails)" help_without_mpi
# The config is read and checked before MPI_Init too: where MPI cannot
# start, a mistake in it is still what the run reports.
config_error_without_mpi() {
    local out
    out=$(OMPI_MCA_pml=none_such $BIN --config=configs/demo_64.json --num_epochs=-1 2>&1) && return 1
    printf '%s\n' "$out"
    [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] &&
        grep -qx 'hepcnn: error: command line (--num_epochs): num_epochs must be positive, got -1' <<<"$out"
}
check "cli: a config error is reported before MPI starts (works where MPI_Init fails)" config_error_without_mpi

# The seed's four configs, unchanged, on the matching binaries (short runs).
seed_runs() {
    local bin=$1 cfg=$2 out dir="$LOGDIR/run-seed-$(basename "$1")-$(basename "$2" .json)"
    rm -rf "$dir"   # a fresh outputpath: checkpoints there would be resumed
    out=$($bin --config="$cfg" --dummy_data --trainsamples=16 --num_epochs=1 --train_batch_size=8 \
          --display_interval=1 --outputpath="$dir") || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    grep -Eq '^[0-9]+\.[0-9]+ TRAINING REPORT: step 2 \(2\), average loss [0-9.e+-]+ \([0-9.]+ sec/batch\), average learning rate [0-9.e+-]+$' <<<"$out"
}
S=tests/seed_configs
arch_check "seed config cori_knl_224_adam on hep224-knl" knl seed_runs bin/hep224-knl $S/cori_knl_224_adam.json
arch_check "seed config cori_haswell_224 on hep224-hsw" hsw seed_runs bin/hep224-hsw $S/cori_haswell_224.json
arch_check "seed config cori_knl_64 on hep64-knl" knl seed_runs bin/hep64-knl $S/cori_knl_64.json
arch_check "seed config cori_haswell_64 on hep64-hsw" hsw seed_runs bin/hep64-hsw $S/cori_haswell_64.json
for c in configs/cori_*.json; do
    case $c in *224*) net=hep224 ;; *) net=hep64 ;; esac
    check "project config $c on $net-native" seed_runs bin/$net-native "$c"
done

# The config parser under libFuzzer with ASan, UBSan and leak checks
# (`make fuzz`'s target, for a few seconds, with a few mutated network and
# data files): it must build against the runtime as it is, and no input may
# crash it or leave memory allocated.
# Needs clang with libFuzzer (make deps installs it).
libfuzzer_available() {
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
        > "$CFG/probe_fuzzer.c"
    command -v clang >/dev/null && clang -fsanitize=fuzzer "$CFG/probe_fuzzer.c" -o "$CFG/probe_fuzzer" 2>/dev/null
}
if libfuzzer_available; then
    check "fuzz: the config parser under libFuzzer, ASan, UBSan and leak checks for 10 s (make fuzz)" \
        make --no-print-directory fuzz FUZZ_SECONDS=10 FUZZ_NETWORKS=20 FUZZ_H5=4
else
    skip "fuzz: the config parser under libFuzzer, ASan, UBSan and leak checks for 10 s (make fuzz)" "no clang with libFuzzer (apt-get install clang)"
fi
