# Winograd convolutions in training (sourced by tests/run.sh): hep64 with
# conv2 and conv3 by Winograd F(2x2,3x3) (tests/nets/hep64_wino.lua) against
# the direct build on the same data and seed, and its bitwise restart. (The
# per-layer and finite-difference checks are in test_kernels.sh.)
echo "== Winograd in training"
PY=/usr/bin/python3
W=$LOGDIR/winograd
rm -rf "$W"; mkdir -p "$W"
make --no-print-directory -s bin/hep64-native bin/hep64_wino-native bin/hepcnn-datagen
bin/hepcnn-datagen --outdir="$W/data" --train=1024 --train_files=2 --val=512 --test=64 --seed=17 >/dev/null
WRUN=(--config=configs/demo_64.json --inputpath="$W/data" --train_batch_size=32 --num_epochs=3
      --validation_batch_size=128 --display_interval=100)
# the mean validation AUC of the last two epochs: one epoch's value moves by a
# few 0.001 with any change of rounding (the direct build's too)
auc_of() { grep 'EPOCH SUMMARY: step 1[29][82] .*average auc' "$1" | awk '{ s += $NF; n++ } END { if (n == 2) printf "%.6f", s / 2 }'; }
wino_auc() {
    bin/hep64-native "${WRUN[@]}" --outputpath="$W/direct" > "$W/direct.out" &&
        bin/hep64_wino-native "${WRUN[@]}" --outputpath="$W/wino" > "$W/wino.out" || return 1
    local a b
    a=$(auc_of "$W/direct.out"); b=$(auc_of "$W/wino.out")
    grep 'EPOCH SUMMARY.*auc' "$W/direct.out" "$W/wino.out"
    echo "validation AUC, mean of epochs 2 and 3: direct $a, Winograd $b"
    awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0.6 && d <= 0.005) }'
}
check "winograd: hep64 with Winograd conv2, conv3 reaches the direct build's validation AUC (mean of the last 2 epochs, within 0.005)" wino_auc
# against the epoch-2 checkpoint of the run above
wino_restart() {
    rm -rf "$W/wr"
    bin/hep64_wino-native "${WRUN[@]}" --outputpath="$W/wr" --num_epochs=1 > /dev/null &&
        bin/hep64_wino-native "${WRUN[@]}" --outputpath="$W/wr" --num_epochs=2 > "$W/wr.out" &&
        grep -q "resuming from $W/wr/models/model-64.h5" "$W/wr.out" &&
        $PY tests/check_outputs.py same "$W/wino/models/model-128.h5" "$W/wr/models/model-128.h5"
}
check "winograd: 2 epochs = 1 + restart + 1, bitwise" wino_restart
