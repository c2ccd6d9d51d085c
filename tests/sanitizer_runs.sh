# Memory errors, undefined behaviour and data races: the runs of
# test_sanitizers.sh's checks (sourced by tests/run.sh, which starts them in
# the background at the beginning of make test, and by test_sanitizers.sh,
# which starts them itself where run.sh did not; lib.sh's background_start).
# hep64 (native) and the exporter built with AddressSanitizer and UBSan
# (build/san/, make's SAN_CFLAGS) train with mid-epoch checkpoints, resume,
# evaluate, export, run on 3 ranks and with a parameter server, and read
# damaged data files and checkpoints; a ThreadSanitizer build trains with
# one OpenMP thread, so that it checks the data loader's I/O thread against
# the training thread (TSan does not see libgomp's own synchronisation, so
# OpenMP's threads would only give false reports). The first report stops
# the program with status 86 (its stack in the check's log), which fails the
# check as any other unexpected status does; mutate_h5.py counts it as bad.
# (The first run of this kind found qsort called with a null array when no
# mid-epoch checkpoint was left to prune.) None of it times anything.
S=$LOGDIR/background/sanitizers
SAN_STEPS=(san_train_resume_test san_distributed san_shared_out san_damaged_files san_threads)
SAN_OPTIONS=("ASAN_OPTIONS=detect_leaks=0:exitcode=86" "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86")
SAN_ENV=(env "${SAN_OPTIONS[@]}")
SAN_RUN=(build/san/hep64-native --config=configs/demo_64.json --inputpath="$S/data" --train_batch_size=16
         --trainsamples=128 --display_interval=4 --validation_batch_size=32)
SAN_MPIRUN=(timeout 900 mpirun --allow-run-as-root --oversubscribe -np 3 -x OMP_NUM_THREADS=1
            -x "${SAN_OPTIONS[0]}" -x "${SAN_OPTIONS[1]}")

san_train_resume_test() {
    rm -rf "$S/run"
    "${SAN_ENV[@]}" "${SAN_RUN[@]}" --outputpath="$S/run" --num_epochs=1 &&
        "${SAN_ENV[@]}" "${SAN_RUN[@]}" --outputpath="$S/run" --num_epochs=2 --checkpoint_steps=3 --checkpoint_keep=1 &&
        "${SAN_ENV[@]}" "${SAN_RUN[@]}" --outputpath="$S/run" --mode=test &&
        "${SAN_ENV[@]}" build/san/hepcnn-export "$S/run/models/model-16.h5" "$S/run.onnx" &&
        [ -s "$S/run.onnx" ] && [ -s "$S/run/predictions-test.h5" ] &&
        [ "$(ls "$S/run/models")" = "$(printf 'model-15.h5\nmodel-16.h5\nmodel-8.h5')" ]
}

san_distributed() {
    rm -rf "$S/ranks" "$S/ps"
    "${SAN_MPIRUN[@]}" "${SAN_RUN[@]}" --outputpath="$S/ranks" --num_epochs=1 --train_batch_size=8 &&
        "${SAN_MPIRUN[@]}" "${SAN_RUN[@]}" --outputpath="$S/ps" --num_epochs=1 --num_ps=1 &&
        [ -s "$S/ranks/models/model-5.h5" ] && [ -s "$S/ps/models/model-4.h5" ]
}

# 2 images on 3 threads: the backward shares each image's rows out
# (conv_backward_split), its threads writing other threads' buffers.
san_shared_out() {
    rm -rf "$S/shared"
    OMP_NUM_THREADS=3 "${SAN_ENV[@]}" "${SAN_RUN[@]}" --outputpath="$S/shared" --num_epochs=1 --train_batch_size=2 \
        --trainsamples=32 && [ -s "$S/shared/models/model-16.h5" ]
}

san_damaged_files() {
    local mode
    for mode in data checkpoints export; do
        "${SAN_ENV[@]}" MUTATE_H5_BIN=build/san MUTATE_H5_WORK="$S/fuzz" /usr/bin/python3 tests/fuzz/mutate_h5.py $mode 12 2 ||
            return 1
    done
}

san_threads() {
    rm -rf "$S/tsan"
    local tsan=(env OMP_NUM_THREADS=1 "TSAN_OPTIONS=halt_on_error=1:exitcode=86" build/san/hep64-native-tsan
                "${SAN_RUN[@]:1}" --outputpath="$S/tsan" --read_window_mb=1)
    "${tsan[@]}" --num_epochs=1 && "${tsan[@]}" --num_epochs=2 && "${tsan[@]}" --mode=test &&
        [ -s "$S/tsan/models/model-16.h5" ] && [ -s "$S/tsan/predictions-test.h5" ]
}

# start_sanitizer_runs: the builds first (in the background: their objects
# are build/san/'s alone), then each check's runs in turn
start_sanitizer_runs() {
    [ -z "${BACKGROUND_PID[sanitizers]:-}" ] || return 0
    rm -rf "$S"; mkdir -p "$S"
    background_start sanitizers sanitizer_runs
}
sanitizer_runs() {
    make --no-print-directory -s bin/hepcnn-datagen build/san/hep64-native build/san/hepcnn-export \
        build/san/hep64-native-tsan || return 1
    bin/hepcnn-datagen --outdir="$S/data" --train=256 --train_files=2 --val=64 --test=64 --seed=11 > /dev/null || return 1
    background_steps "$S" "${SAN_STEPS[@]}"
}
