# The training runs of test_winograd.sh's checks (sourced by tests/run.sh,
# which starts them in the background at the beginning of make test, and by
# test_winograd.sh, which starts them itself when run.sh did not): hep64
# with its Winograd layers, hep64 with F(6x6) and with F(8x8), each against
# its all-direct twin (tests/nets/hep64_direct.lua) on the same generated
# data and seed, and a restart from the Winograd run's first epoch. One
# after another, at the lowest priority (lib.sh's background_start); they
# time nothing, and each run's result is the same bitwise whatever else the
# machine does.
W=$LOGDIR/background/winograd
WRUN=(--config=configs/demo_64.json --inputpath="$W/data" --trainsamples=2048 --train_batch_size=32 --num_epochs=6
      --validation_batch_size=128 --display_interval=200)
WINOGRAD_NETS=(hep64_direct hep64 hep64_wino6 hep64_wino8)

# start_winograd_runs: builds what the runs need here (a make beside the
# suites' own would write the same objects), then the runs, on copies of the
# binaries that no later make can replace under them
start_winograd_runs() {
    local net rc=0 targets=(bin/hepcnn-datagen)
    [ -z "${BACKGROUND_PID[winograd]:-}" ] || return 0
    rm -rf "$W"; mkdir -p "$W/bin"
    for net in "${WINOGRAD_NETS[@]}"; do targets+=("bin/$net-native"); done
    make --no-print-directory -s "${targets[@]}" > "$W/build.out" 2>&1 || rc=1
    cp bin/hepcnn-datagen "$W/bin/" 2>> "$W/build.out" || rc=1
    for net in "${WINOGRAD_NETS[@]}"; do cp "bin/$net-native" "$W/bin/$net" 2>> "$W/build.out" || rc=1; done
    echo $rc > "$W/build.rc"
    background_start winograd winograd_runs
}
winograd_runs() {
    [ "$(cat "$W/build.rc")" -eq 0 ] || { cat "$W/build.out"; return 1; }
    "$W/bin/hepcnn-datagen" --outdir="$W/data" --train=2048 --train_files=2 --val=1024 --test=64 --seed=17 > /dev/null ||
        return 1
    # Each run's checkpoints (310 MB) go as it ends, but for the two that
    # the restart check compares: the runs take the core idle for most of
    # make test, and 1.5 GB of checkpoints held as long would raise the
    # run's peak on disk by as much.
    winograd_train direct hep64_direct; rm -rf "$W/direct/models"
    winograd_train wino hep64
    # from the epoch-1 checkpoint of the run above, for its epoch-2 one
    mkdir -p "$W/wr/models" && cp "$W/wino/models/model-64.h5" "$W/wr/models/"
    find "$W/wino/models" -type f ! -name model-128.h5 -delete
    winograd_train wr hep64 --num_epochs=2
    find "$W/wr/models" -type f ! -name model-128.h5 -delete
    winograd_train wino6 hep64_wino6; rm -rf "$W/wino6/models"
    winograd_train wino8 hep64_wino8; rm -rf "$W/wino8/models"
}
# winograd_train NAME NET [OPTION...]: its output in $W/NAME.out, its exit
# status in $W/NAME.rc
winograd_train() {
    local name=$1 net=$2; shift 2
    "$W/bin/$net" "${WRUN[@]}" --outputpath="$W/$name" "$@" > "$W/$name.out" 2>&1
    echo $? > "$W/$name.rc"
}
# winograd_ran NAME: that run ended with status 0 (its output's end shown
# where not)
winograd_ran() {
    local rc
    read -r rc 2>/dev/null < "$W/$1.rc" || { echo "$W/$1: did not run"; cat "$LOGDIR/background-winograd.log"; return 1; }
    [ "$rc" -eq 0 ] || { tail -n 20 "$W/$1.out"; echo "$W/$1: exit status $rc"; return 1; }
}
