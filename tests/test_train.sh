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
