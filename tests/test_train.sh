# Training tests (sourced by tests/run.sh): the loss falls on a learnable
# dummy task for the 2-class and 4-class networks, every arch's binary trains,
# and two MPI ranks train together.
echo "== training"

# loss_falls BIN: the last report's average loss is under half the first's.
loss_falls() {
    local bin=$1; shift
    local out dir="$LOGDIR/run-learn-$(basename "$bin")"
    rm -rf "$dir"   # a fresh outputpath: checkpoints there would be resumed
    out=$($bin --config=configs/demo_64.json --dummy_data --trainsamples=384 --num_epochs=1 \
          --train_batch_size=16 --display_interval=4 --outputpath="$dir" "$@") ||
        { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    awk '/TRAINING REPORT/ { sub(",", "", $9); loss[n++] = $9 }
         END { if (n < 3) { print "too few reports"; exit 1 }
               printf "first %g last %g\n", loss[0], loss[n-1]
               exit !(loss[n-1] < 0.5 * loss[0]) }' <<<"$out"
}
make --no-print-directory -s bin/hep64_4class-native bin/hep64-skx bin/hep64-knl bin/hep64-hsw
check "learning: hep64 loss falls on the dummy task" loss_falls bin/hep64-native
check "learning: hep64_4class loss falls (4 classes)" loss_falls bin/hep64_4class-native

RUNS=0
trains() {
    local out dir="$LOGDIR/run-arch-$((RUNS += 1))"
    rm -rf "$dir"
    out=$("$@" --config=configs/demo_64.json --dummy_data --trainsamples=64 --num_epochs=1 --train_batch_size=16 \
          --display_interval=2 --outputpath="$dir") || { printf '%s\n' "$out"; return 1; }
    # 64 samples / 16 per step = 4 steps: two reports, printed by rank 0 alone
    printf '%s\n' "$out"
    [ "$(grep -c 'TRAINING REPORT' <<<"$out")" -eq 2 ]
}
for arch in native skx hsw knl; do
    arch_check "trains: hep64-$arch" $arch trains bin/hep64-$arch
done
check "trains: 2 MPI ranks (allreduce), report from rank 0 only" \
    trains mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS=1 bin/hep64-native --batch_size_per_node=false

# The progress line: on a terminal (script(1) gives one), not under mpirun
# with its output to a file (OpenMPI hands the rank a terminal of its own).
progress_line() {
    local args="--config=configs/demo_64.json --dummy_data --trainsamples=64 --num_epochs=1 --train_batch_size=16"
    rm -rf "$LOGDIR/run-progress-1" "$LOGDIR/run-progress-2"
    script -qc "bin/hep64-native $args --outputpath=$LOGDIR/run-progress-1" /dev/null > "$LOGDIR/progress-tty.out" 2>&1 &&
        mpirun --allow-run-as-root --oversubscribe -np 1 bin/hep64-native $args \
            --outputpath="$LOGDIR/run-progress-2" > "$LOGDIR/progress-mpirun.out" 2>&1 || return 1
    echo "on a terminal: $(grep -c 'ETA' "$LOGDIR/progress-tty.out") line(s) with the bar;" \
        "under mpirun: $(grep -c $'\r' "$LOGDIR/progress-mpirun.out") with a carriage return"
    grep -q 'step 4/4 .* img/s, ETA' "$LOGDIR/progress-tty.out" && ! grep -q $'\r\|\033' "$LOGDIR/progress-mpirun.out" &&
        grep -q 'TRAINING REPORT' "$LOGDIR/progress-mpirun.out"
}
check "progress: a bar on a terminal, none under mpirun writing to a file" progress_line
