# Runs that survive a cluster (sourced by tests/run.sh): checkpoints during
# an epoch and bitwise restart from them (1 rank, 2 ranks, parameter
# servers), signals, resubmitting finished runs, changed settings, the
# outputpath lock, parameter-server edge cases, validation files checked
# first, serialised HDF5, per-channel buffers sized by the network.
echo "== resilience: mid-epoch checkpoints, restart, signals, resubmission, locks"
PY=/usr/bin/python3
R=$LOGDIR/resilience
rm -rf "$R"; mkdir -p "$R"
make --no-print-directory -s bin/hep64-native bin/hepcnn-datagen bin/wide_input-native
bin/hepcnn-datagen --outdir="$R/data" --train=67 --train_files=3 --val=48 --test=0 --seed=11 > /dev/null
MPI=(timeout 120 mpirun --allow-run-as-root --oversubscribe -x OMP_NUM_THREADS=1)
# 3 files of 67 rows, batch 8: 25 steps per epoch on one rank
RUN=(bin/hep64-native --config=configs/demo_64.json --inputpath="$R/data" --train_batch_size=8 --num_epochs=2
     --display_interval=5 --checkpoint_minutes=0)
same() { $PY tests/check_outputs.py same "$1" "$2"; }
final_model() { ls "$1/models" | sort -t- -k2 -n | tail -1; }

reference_run() {
    "${RUN[@]}" --outputpath="$R/a" --checkpoint_steps=6 --checkpoint_keep=100 > "$R/a.out" || return 1
    local got
    got=$(grep -o 'CHECKPOINT: step [0-9]*' "$R/a.out" | awk '{ printf "%s ", $3 }')
    echo "checkpoints at: $got"
    [ "$got" = "6 12 18 24 25 30 36 42 48 50 " ]
}
check "checkpoint: every checkpoint_steps, mid-epoch, and at epoch ends (1 rank, files)" reference_run

pruning() {
    "${RUN[@]}" --outputpath="$R/prune" --checkpoint_steps=4 --checkpoint_keep=2 > /dev/null || return 1
    local got
    got=$(ls "$R/prune/models" | sort -t- -k2 -n | tr '\n' ' ')
    echo "kept: $got"
    [ "$got" = "model-25.h5 model-44.h5 model-48.h5 model-50.h5 " ]
}
check "checkpoint: the newest checkpoint_keep mid-epoch ones kept, every epoch end kept" pruning

# resume_from DIR STEP: a fresh outputpath holding only that checkpoint of
# DIR; the resumed run must end with DIR's final weights, bit for bit.
resume_from() {
    local src=$1 k=$2 final=$3; shift 3
    local dst="$R/from-$(basename "$src")-$k"
    rm -rf "$dst"; mkdir -p "$dst/models"
    cp "$src/models/model-$k.h5" "$dst/models/"
    "$@" --outputpath="$dst" > "$dst.out" 2>&1 || { cat "$dst.out"; return 1; }
    grep "continuing at step $k " "$dst.out" && same "$src/models/model-$final.h5" "$dst/models/model-$final.h5" &&
        rm -rf "$dst"   # its checkpoints, once equal (the suite's peak disk use)
}
restart_1rank() {
    local k
    for k in 6 18 30 42; do resume_from "$R/a" $k 50 "${RUN[@]}" || return 1; done
}
check "restart: from mid-epoch steps 6, 18, 30, 42 (1 rank, files): bitwise equal end" restart_1rank

# 3 images on 2 threads: 2 whole, 1 with its rows shared out in the backward
# (its pieces' map to threads is as fixed as the images').
restart_shared_out() {
    local split=(env OMP_NUM_THREADS=2 "${RUN[@]}" --train_batch_size=3)
    "${split[@]}" --outputpath="$R/c" --checkpoint_steps=20 --checkpoint_keep=100 > "$R/c.out" ||
        { cat "$R/c.out"; return 1; }
    grep "67 per epoch" "$R/c.out" || return 1
    resume_from "$R/c" 40 134 "${split[@]}" && resume_from "$R/c" 80 134 "${split[@]}"
}
check "restart: 3 images on 2 threads (one shared out), from mid-epoch steps 40 and 80: bitwise equal end" \
    restart_shared_out

restart_2ranks() {
    "${MPI[@]}" -np 2 "${RUN[@]}" --outputpath="$R/b" --checkpoint_steps=3 --checkpoint_keep=100 > "$R/b.out" ||
        { cat "$R/b.out"; return 1; }
    grep "8 per epoch" "$R/b.out" || return 1
    resume_from "$R/b" 3 16 "${MPI[@]}" -np 2 "${RUN[@]}" && resume_from "$R/b" 12 16 "${MPI[@]}" -np 2 "${RUN[@]}"
}
check "restart: from mid-epoch steps 3 and 12 (2 ranks, allreduce): bitwise equal end" restart_2ranks

# A SIGTERM at a random moment after the first checkpoint: exit 75, one
# line saying so, a checkpoint at the step it stopped; running the same
# command again ends bitwise equal to the uninterrupted run.
sigterm_resume() {
    rm -rf "$R/c"
    "${RUN[@]}" --outputpath="$R/c" --checkpoint_steps=6 > "$R/c1.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/c1.out" "CHECKPOINT: step 6" || return 1
    # within about 10 of the 44 steps left (50 ms each here): the run must
    # still be going when the signal comes, on a faster machine too
    sleep "$(awk -v r=$RANDOM 'BEGIN { print r % 500 / 1000 }')"
    kill -TERM $pid; wait $pid; rc=$?
    cat "$R/c1.out"
    [ $rc -eq 75 ] || { echo "expected exit 75, got $rc"; return 1; }
    local stop
    stop=$(sed -n 's/.*stopped by SIGTERM after step \([0-9]*\) of 50; checkpoint .* written; .*(exit status 75)$/\1/p' "$R/c1.out")
    [ -n "$stop" ] && [ -f "$R/c/models/model-$stop.h5" ] || { echo "no stop line or checkpoint"; return 1; }
    [ "$(grep -c 'stopped by' "$R/c1.out")" -eq 1 ] || return 1
    echo "stopped at step $stop"
    "${RUN[@]}" --outputpath="$R/c" --checkpoint_steps=6 > "$R/c2.out" 2>&1 || { cat "$R/c2.out"; return 1; }
    grep "continuing at step $stop " "$R/c2.out" && same "$R/a/models/model-50.h5" "$R/c/models/model-50.h5"
}
check "signal: SIGTERM at a random moment: exit 75, checkpoint; the rerun ends bitwise equal" sigterm_resume

# SIGUSR1 to rank 1 only: both ranks stop at the same step.
rank_pid() {   # rank_pid PATTERN RANK
    local p
    for p in $(pgrep -f "$1"); do
        tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo $p; return; }
    done
}
one_rank_signalled() {
    rm -rf "$R/sig2"
    "${MPI[@]}" -np 2 "${RUN[@]}" --num_epochs=8 --outputpath="$R/sig2" > "$R/sig2.out" 2>&1 &
    local pid=$! rc victim
    wait_for "$R/sig2.out" "TRAINING REPORT: step 5 " || return 1
    victim=$(rank_pid "^bin/hep64-native.*$R/sig2" 1)
    [ -n "$victim" ] || { echo "rank 1 not found"; return 1; }
    kill -USR1 "$victim"; wait $pid; rc=$?
    cat "$R/sig2.out"
    [ $rc -eq 75 ] && grep -q "stopped by a signal to another rank after step" "$R/sig2.out" &&
        $PY tests/check_outputs.py loadable "$R/sig2"
}
check "signal: SIGUSR1 to one of 2 ranks stops both at one step, exit 75" one_rank_signalled

second_sigint() {
    # steps of about a second, so that both signals come within one step
    # (batch 128 took 0.13 s a step on a Zen 5 core: the first SIGINT's step
    # ended and its checkpoint began before the second came; 1024: 1.0 s)
    bin/hep64-native --config=configs/demo_64.json --dummy_data --trainsamples=100000 --train_batch_size=1024 \
        --display_interval=1 --outputpath="$R/int" > "$R/int.out" 2>&1 &
    local pid=$! rc t0
    wait_for "$R/int.out" "TRAINING REPORT" || return 1
    t0=$SECONDS
    kill -INT $pid; sleep 0.1; kill -INT $pid; wait $pid; rc=$?
    cat "$R/int.out"
    echo "exit $rc after $((SECONDS - t0)) s"
    [ $rc -eq 130 ] && [ $((SECONDS - t0)) -lt 5 ] && grep -q "second SIGINT: stopping at once, without a checkpoint" "$R/int.out" &&
        [ ! -e "$R/int/models" ]
}
check "signal: a second SIGINT ends the run at once (no checkpoint)" second_sigint

# SIGHUP (an interactive session's terminal went away) stops like SIGTERM;
# a reader of the report lines that goes away (| head) costs the output,
# not the run (it died of SIGPIPE, status 141, without a checkpoint).
sighup_stops() {
    rm -rf "$R/hup"
    "${RUN[@]}" --outputpath="$R/hup" --checkpoint_steps=6 > "$R/hup.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/hup.out" "CHECKPOINT: step 6" || return 1
    kill -HUP $pid; wait $pid; rc=$?
    cat "$R/hup.out"
    [ $rc -eq 75 ] && grep -q "stopped by SIGHUP after step [0-9]* of 50; checkpoint .* written" "$R/hup.out" &&
        $PY tests/check_outputs.py loadable "$R/hup"
}
check "signal: SIGHUP stops at a checkpoint like SIGTERM, exit 75" sighup_stops
# A stop signal during an evaluation ends the run there, with a checkpoint,
# instead of after the whole validation set and one more step. 16 training
# rows (2 steps an epoch) and 1500 validation rows scored one at a time on
# one thread: about 5 s an evaluation, against the 0.1 s the tests poll at.
bin/hepcnn-datagen --outdir="$R/slowval" --train=16 --train_files=1 --val=1500 --test=0 --seed=5 > /dev/null
SLOWVAL=(bin/hep64-native --config=configs/demo_64.json --inputpath="$R/slowval" --train_batch_size=8
         --validation_batch_size=1 --num_epochs=2 --display_interval=1 --checkpoint_minutes=0)
# stopped_in_evaluation RC OUT DIR STEP WHO: exit status RC 75, the stop
# line, the log's line for the unfinished evaluation and no evaluation
# lines for STEP, and DIR's newest checkpoint at STEP
stopped_in_evaluation() {
    local rc=$1 out=$2 dir=$3 step=$4 who=$5
    cat "$out"
    [ "$rc" -eq 75 ] || { echo "expected exit 75, got $rc"; return 1; }
    grep -q "stopped by $who after step $step of 4; checkpoint .* written" "$out" &&
        grep -q "EVALUATION STOPPED: step $step (4), by $who before the end of the validation set; no figures" "$out" &&
        ! grep -q "EVALUATION .*: step $step (4), average" "$out" &&
        [ "$(final_model "$dir")" = "model-$step.h5" ] && $PY tests/check_outputs.py loadable "$dir"
}
sigterm_in_evaluation() {
    rm -rf "$R/ev"
    OMP_NUM_THREADS=1 "${SLOWVAL[@]}" --outputpath="$R/ev" > "$R/ev.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/ev.out" "CHECKPOINT: step 2," || return 1   # the epoch's, written before its evaluation
    kill -TERM $pid; wait $pid; rc=$?
    stopped_in_evaluation $rc "$R/ev.out" "$R/ev" 2 SIGTERM || return 1
    OMP_NUM_THREADS=1 "${SLOWVAL[@]}" --validation_batch_size=64 --outputpath="$R/ev" > "$R/ev2.out" 2>&1 ||
        { cat "$R/ev2.out"; return 1; }
    grep "continuing at step 2 " "$R/ev2.out" && grep -q "EVALUATION EPOCH SUMMARY: step 4 (4), average auc" "$R/ev2.out"
}
check "signal: SIGTERM during an epoch end's evaluation stops there, exit 75; the rerun continues" sigterm_in_evaluation
# Mid-epoch (validation_interval), where no checkpoint precedes the
# evaluation, and the signal to rank 1 only: rank 0 scores its share, then
# both stop and rank 0 writes the step's checkpoint.
one_rank_signalled_in_evaluation() {
    rm -rf "$R/ev1"
    "${MPI[@]}" -np 2 "${SLOWVAL[@]}" --train_batch_size=4 --validation_interval=1 --outputpath="$R/ev1" \
        > "$R/ev1.out" 2>&1 &
    local pid=$! victim rc
    wait_for "$R/ev1.out" "TRAINING REPORT: step 1 " || return 1   # reported before the step's evaluation
    victim=$(rank_pid "^bin/hep64-native.*$R/ev1" 1)
    [ -n "$victim" ] || { echo "rank 1 not found"; return 1; }
    kill -TERM "$victim"; wait $pid; rc=$?
    stopped_in_evaluation $rc "$R/ev1.out" "$R/ev1" 1 "a signal to another rank"
}
check "signal: SIGTERM to rank 1 during a mid-epoch evaluation: both stop there, checkpoint, exit 75" \
    one_rank_signalled_in_evaluation
# With parameter servers (1 server, 2 workers) the checkpoint is the
# servers' to send: the evaluation ends early on every worker, no later
# evaluation runs, and the servers end the run within two steps, before
# the last (4); the rerun finishes.
ps_signalled_in_evaluation() {
    rm -rf "$R/evp"
    local args=("${SLOWVAL[@]}" --train_batch_size=4 --validation_interval=1 --num_ps=1 --outputpath="$R/evp")
    "${MPI[@]}" -np 3 "${args[@]}" > "$R/evp.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/evp.out" "TRAINING REPORT: step 1 " || return 1
    pkill -TERM -f "^bin/hep64-native.*$R/evp"; wait $pid; rc=$?
    cat "$R/evp.out"
    [ "$rc" -eq 75 ] || { echo "expected exit 75, got $rc"; return 1; }
    grep -q "EVALUATION STOPPED: step 1 (4), by SIGTERM before the end of the validation set; no figures" \
        "$R/evp.out" && ! grep -q "EVALUATION .*average" "$R/evp.out" &&
        grep -q "stopped by SIGTERM after step [23] of 4; checkpoint .* written" "$R/evp.out" &&
        $PY tests/check_outputs.py loadable "$R/evp" || return 1
    "${MPI[@]}" -np 3 "${args[@]}" --validation_batch_size=64 > "$R/evp2.out" 2>&1 || { cat "$R/evp2.out"; return 1; }
    grep "continuing at step [23] " "$R/evp2.out" && grep -q "EVALUATION EPOCH SUMMARY: step 4 (4), average auc" "$R/evp2.out"
}
check "signal: SIGTERM during a parameter-server run's evaluation ends it there; stop within 2 steps, exit 75" \
    ps_signalled_in_evaluation
# At the run's last step nothing is left to train, but the last
# evaluation's figures are: the stop exits 75 and records the step in
# outputpath/last_evaluation_stopped, and the same command evaluates that
# checkpoint only (no training step) and removes the record (stopped
# while it does, it keeps it); run once more, it is done at once. A record
# that is not hepcnn's is left alone.
last_stopped() {   # last_stopped OUT DIR WHO: the stop line, the record
    cat "$1"
    grep -q "stopped by $3: all 4 steps are done and checkpoint .*/model-4.h5 written, but the evaluation of the last was cut short; run the same command again to evaluate it (exit status 75)" "$1" &&
        grep -q "EVALUATION STOPPED: step 4 (4), by $3 " "$1" && ! grep -q "EVALUATION .*: step 4 (4), average" "$1" &&
        [ "$(head -1 "$2/last_evaluation_stopped")" = 4 ] && $PY tests/check_outputs.py loadable "$2"
}
sigterm_in_last_evaluation() {
    rm -rf "$R/evl"
    OMP_NUM_THREADS=1 "${SLOWVAL[@]}" --outputpath="$R/evl" > "$R/evl.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/evl.out" "CHECKPOINT: step 4," || return 1   # the last, written before its evaluation
    kill -TERM $pid; wait $pid; rc=$?
    [ $rc -eq 75 ] || { cat "$R/evl.out"; echo "expected exit 75, got $rc"; return 1; }
    last_stopped "$R/evl.out" "$R/evl" SIGTERM || return 1
    # stopped again while it evaluates only: the record stays, the checkpoint is not written again
    cp "$R/evl/models/model-4.h5" "$R/evl-model-4.h5"
    OMP_NUM_THREADS=1 "${SLOWVAL[@]}" --outputpath="$R/evl" > "$R/evl1.out" 2>&1 &
    pid=$!
    wait_for "$R/evl1.out" "evaluating it now" || return 1
    sleep 0.5; kill -TERM $pid; wait $pid; rc=$?
    [ $rc -eq 75 ] || { cat "$R/evl1.out"; echo "expected exit 75, got $rc"; return 1; }
    last_stopped "$R/evl1.out" "$R/evl" SIGTERM && ! grep -q "CHECKPOINT:" "$R/evl1.out" &&
        cmp "$R/evl/models/model-4.h5" "$R/evl-model-4.h5" || return 1
    OMP_NUM_THREADS=1 "${SLOWVAL[@]}" --validation_batch_size=64 --outputpath="$R/evl" > "$R/evl2.out" 2>&1 ||
        { cat "$R/evl2.out"; return 1; }
    cat "$R/evl2.out"
    grep -q "the checkpoint is at step 4, the run's last, whose evaluation a stop cut short: evaluating it now" "$R/evl2.out" &&
        grep -q "EVALUATION EPOCH SUMMARY: step 4 (4), average auc" "$R/evl2.out" &&
        ! grep -q "TRAINING REPORT\|CHECKPOINT:" "$R/evl2.out" && [ ! -e "$R/evl/last_evaluation_stopped" ] &&
        [ "$(grep -c '"eval": "val"' "$R/evl/logs/metrics.jsonl")" -eq 2 ] || return 1   # epoch 1's and this
    echo "not a step" > "$R/evl/last_evaluation_stopped"
    OMP_NUM_THREADS=1 "${SLOWVAL[@]}" --outputpath="$R/evl" > "$R/evl3.out" 2>&1 || { cat "$R/evl3.out"; return 1; }
    cat "$R/evl3.out"
    grep -q "the run's 4 steps are already done" "$R/evl3.out" && ! grep -q "EVALUATION" "$R/evl3.out" &&
        grep -q "last_evaluation_stopped does not start with a step number: not hepcnn's .*, left alone" "$R/evl3.out" &&
        [ "$(cat "$R/evl/last_evaluation_stopped")" = "not a step" ]
}
check "signal: SIGTERM during the last evaluation: exit 75; the rerun evaluates only, then the run is done" \
    sigterm_in_last_evaluation
# With parameter servers the last checkpoint is written after the
# evaluation; a rerun with more epochs trains on and drops the record.
ps_signalled_in_last_evaluation() {
    rm -rf "$R/evpl"
    local args=("${SLOWVAL[@]}" --train_batch_size=4 --num_ps=1 --outputpath="$R/evpl")
    "${MPI[@]}" -np 3 "${args[@]}" > "$R/evpl.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/evpl.out" "TRAINING REPORT: step 4 " || return 1   # printed before the last evaluation
    sleep 0.3
    pkill -TERM -f "^bin/hep64-native.*$R/evpl"; wait $pid; rc=$?
    [ $rc -eq 75 ] || { cat "$R/evpl.out"; echo "expected exit 75, got $rc"; return 1; }
    last_stopped "$R/evpl.out" "$R/evpl" SIGTERM || return 1
    "${MPI[@]}" -np 3 "${args[@]}" --validation_batch_size=64 --num_epochs=3 > "$R/evpl2.out" 2>&1 ||
        { cat "$R/evpl2.out"; return 1; }
    cat "$R/evpl2.out"
    grep -q "continuing at step 4 " "$R/evpl2.out" && grep -q "EVALUATION EPOCH SUMMARY: step 6 (6), average auc" "$R/evpl2.out" &&
        ! grep -q "EVALUATION .*: step 4 " "$R/evpl2.out" && [ ! -e "$R/evpl/last_evaluation_stopped" ]
}
check "signal: SIGTERM during a parameter-server run's last evaluation: exit 75; more epochs train on" \
    ps_signalled_in_last_evaluation

reader_gone() {
    rm -rf "$R/pipe"
    "${RUN[@]}" --outputpath="$R/pipe" --display_interval=1 2>&1 | head -3
    local rc=${PIPESTATUS[0]}
    echo "exit $rc"
    [ $rc -eq 0 ] && [ -f "$R/pipe/models/model-50.h5" ] &&
        grep -q "TRAINING REPORT: step 50 (50)" "$R/pipe/logs/train.log"
}
check "signal: a reader of the output that goes away (| head): the run ends normally, logs complete" reader_gone

# Parameter servers (sync, 1 server + 2 workers): SIGTERM to every rank,
# as SLURM does, then a rerun: bitwise equal to the uninterrupted run.
PSRUN=(--config=configs/demo_64.json --dummy_data --trainsamples=160 --num_epochs=4 --train_batch_size=16
       --batch_size_per_node=false --display_interval=5 --checkpoint_steps=4 --checkpoint_minutes=0 --num_ps=1)
ps_restart() {
    "${MPI[@]}" -np 3 bin/hep64-native "${PSRUN[@]}" --outputpath="$R/p" > "$R/p.out" 2>&1 || { cat "$R/p.out"; return 1; }
    rm -rf "$R/p2"
    "${MPI[@]}" -np 3 bin/hep64-native "${PSRUN[@]}" --outputpath="$R/p2" > "$R/p2a.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/p2a.out" "CHECKPOINT: step 8" || return 1
    # 32 steps left (about 0.1 s each here; 12 were too few once the step got faster)
    sleep "$(awk -v r=$RANDOM 'BEGIN { print r % 500 / 1000 }')"
    pkill -TERM -f "^bin/hep64-native.*$R/p2"; wait $pid; rc=$?
    tr '\r' '\n' < "$R/p2a.out" | grep -a -E 'CHECKPOINT|stopped'
    [ $rc -eq 75 ] && grep -aq "stopped by SIGTERM after step" "$R/p2a.out" || { echo "expected exit 75, got $rc"; return 1; }
    "${MPI[@]}" -np 3 bin/hep64-native "${PSRUN[@]}" --outputpath="$R/p2" > "$R/p2b.out" 2>&1 || { cat "$R/p2b.out"; return 1; }
    grep -a "continuing at step" "$R/p2b.out" && same "$R/p/models/model-40.h5" "$R/p2/models/model-40.h5"
}
check "restart: parameter servers (sync) stopped by SIGTERM mid-epoch: bitwise equal end" ps_restart

# A finished run started again exits 0 within seconds, in every mode.
resubmit() {
    local t0=$SECONDS out
    out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out" | tail -3
    echo "took $((SECONDS - t0)) s"
    grep -q "already done" <<<"$out" && [ $((SECONDS - t0)) -lt 30 ]
}
ASYNC=(--config=configs/demo_64.json --dummy_data --trainsamples=384 --num_epochs=1 --train_batch_size=16
       --display_interval=5 --num_ps=1 --mode=async --outputpath="$R/async")
"${MPI[@]}" -np 3 bin/hep64-native "${ASYNC[@]}" > "$R/async.out" 2>&1
check "resubmit: a finished run exits 0 at once (1 rank)" resubmit "${RUN[@]}" --outputpath="$R/a" --checkpoint_steps=6
check "resubmit: a finished run exits 0 at once (2 ranks, allreduce)" resubmit "${MPI[@]}" -np 2 "${RUN[@]}" --outputpath="$R/b"
check "resubmit: a finished run exits 0 at once (parameter server, sync)" resubmit "${MPI[@]}" -np 3 bin/hep64-native "${PSRUN[@]}" --outputpath="$R/p"
check "resubmit: a finished run exits 0 at once (parameter server, async)" resubmit "${MPI[@]}" -np 3 bin/hep64-native "${ASYNC[@]}"

changed_settings() {
    local before
    before=$(ls -l "$R/a/models" | md5sum)
    expect_fail "learning_rate: 0.001 in the checkpoint, 0.002 now" "${RUN[@]}" --outputpath="$R/a" --num_epochs=3 \
        --learning_rate=0.002 --train_batch_size=4 > "$R/changed.out"; local rc=$?
    cat "$R/changed.out"
    [ $rc -eq 0 ] && grep -q "global_batch: 8 in the checkpoint, 4 now" "$R/changed.out" &&
        grep -q "add --accept_changed_settings; to start fresh, give this run another --outputpath" "$R/changed.out" &&
        [ "$(ls -l "$R/a/models" | md5sum)" = "$before" ] || return 1
    rm -rf "$R/accept"; cp -r "$R/a" "$R/accept"
    "${RUN[@]}" --outputpath="$R/accept" --num_epochs=3 --learning_rate=0.002 --accept_changed_settings > "$R/accept.out" &&
        grep "continuing .* with 1 changed training setting" "$R/accept.out" && [ -f "$R/accept/models/model-75.h5" ]
}
check "restart: other training settings are refused naming each; --accept_changed_settings continues" changed_settings

lock() {
    rm -rf "$R/lock"
    local long=(bin/hep64-native --config=configs/demo_64.json --dummy_data --trainsamples=100000 --train_batch_size=8
                --display_interval=2 --outputpath="$R/lock")
    "${long[@]}" > "$R/lock1.out" 2>&1 &
    local first=$!
    wait_for "$R/lock1.out" "TRAINING REPORT" || return 1
    expect_fail "outputpath $R/lock is in use by another run (host $(hostname), pid $first" "${long[@]}" || return 1
    kill -9 $first; wait $first 2>/dev/null
    "${long[@]}" > "$R/lock3.out" 2>&1 &
    local third=$!
    wait_for "$R/lock3.out" "TRAINING REPORT" || { kill $third; return 1; }
    kill -TERM $third; wait $third
    [ $? -eq 75 ] && echo "a lock left by kill -9 did not block the next run"
}
check "lock: a second run on an outputpath refuses naming the first; kill -9 leaves no lock" lock

# A run whose outputpath goes away under it (moved, removed, or its lock
# file replaced) no longer holds the folder's lock, and a second run could
# write checkpoints beside it: it stops before writing anything more.
lock_lost() {
    rm -rf "$R/lost" "$R/lost-moved" "$R/relock"
    local long=(bin/hep64-native --config=configs/demo_64.json --dummy_data --trainsamples=100000 --train_batch_size=8
                --display_interval=2 --checkpoint_steps=4 --checkpoint_minutes=0)
    "${MPI[@]}" -np 2 "${long[@]}" --outputpath="$R/lost" > "$R/lost1.out" 2>&1 &
    local first=$!
    wait_for "$R/lost1.out" "CHECKPOINT" || return 1
    mv "$R/lost" "$R/lost-moved"
    wait $first; local rc=$?
    grep -a "hepcnn: error" "$R/lost1.out"
    [ $rc -ne 0 ] || { echo "exit 0 after its outputpath was moved"; return 1; }
    grep -aqF "outputpath $R/lost was removed or moved while this run was going" "$R/lost1.out" || return 1
    [ ! -e "$R/lost" ] || { echo "the run wrote into a new $R/lost"; return 1; }
    # the moved folder is a whole run: the next one resumes there (on one
    # rank, with the 2 ranks' batch of 16)
    "${long[@]}" --train_batch_size=16 --outputpath="$R/lost-moved" > "$R/lost2.out" 2>&1 &
    local again=$!
    wait_for "$R/lost2.out" "TRAINING REPORT" || { kill $again; return 1; }
    kill -TERM $again; wait $again; rc=$?
    grep -a "resuming from" "$R/lost2.out"
    [ $rc -eq 75 ] && grep -aq "resuming from $R/lost-moved/models/model-" "$R/lost2.out" || return 1
    # a lock file deleted by hand, and a second run that took a new one
    timeout 120 "${long[@]}" --outputpath="$R/relock" > "$R/relock1.out" 2>&1 &
    first=$!
    wait_for "$R/relock1.out" "TRAINING REPORT" || { kill $first; return 1; }
    rm "$R/relock/.hepcnn.lock"
    "${long[@]}" --outputpath="$R/relock" > "$R/relock2.out" 2>&1 &
    local second=$!
    wait $first; rc=$?
    kill -TERM $second; wait $second
    grep -a "hepcnn: error" "$R/relock1.out"
    [ $rc -eq 1 ] || { echo "the first run's exit: $rc"; return 1; }
    grep -aqE "its lock file $R/relock/.hepcnn.lock was (deleted|replaced by another \(host $(hostname), pid $second)" \
        "$R/relock1.out"
}
check "lock: a run whose outputpath is moved, or its lock file replaced, stops before writing more; it resumes there" \
    lock_lost
# A file system without locks (flock fails, as on some Lustre mounts; here
# a preloaded flock that says ENOLCK, and HDF5 told not to lock): the run
# warns and goes on, and still stops when its outputpath is moved.
# run_then_move NAME TEXT CMD...: CMD with --outputpath=$R/NAME, in the
# background, that folder moved to $R/NAME-moved once CMD's output
# ($R/NAME.out) shows TEXT; CMD's exit status.
run_then_move() {
    local name=$1 text=$2 pid; shift 2
    rm -rf "${R:?}/$name" "$R/$name-moved" "$R/$name.out"
    "$@" --outputpath="$R/$name" > "$R/$name.out" 2>&1 &
    pid=$!
    wait_for "$R/$name.out" "$text" || { kill $pid; return 1; }
    mv "$R/$name" "$R/$name-moved"
    wait $pid
}
no_locks() {
    printf '#include <errno.h>\nint flock(int fd, int op) { (void)fd; (void)op; errno = ENOLCK; return -1; }\n' \
        > "$R/noflock.c"
    cc -shared -fPIC -o "$R/noflock.so" "$R/noflock.c" || return 1
    run_then_move nolock "TRAINING REPORT" env HDF5_USE_FILE_LOCKING=FALSE LD_PRELOAD="$(realpath "$R/noflock.so")" \
        timeout 120 bin/hep64-native --config=configs/demo_64.json --dummy_data --trainsamples=100000 \
        --train_batch_size=8 --display_interval=2
    local rc=$?
    grep -a "hepcnn: warning: cannot lock\|hepcnn: error" "$R/nolock.out"
    [ $rc -eq 1 ] &&
        grep -aqF "warning: cannot lock $R/nolock/.hepcnn.lock (No locks available): this file system does not support locks" \
            "$R/nolock.out" &&
        grep -aqF "outputpath $R/nolock was removed or moved while this run was going" "$R/nolock.out"
}
check "lock: a file system without locks: a warning; a moved outputpath still stops the run" no_locks

# An outputpath moved while its checkpoint's write is being tried again (a
# file system failing writes, tests/fs_faults.c): the next failure is said
# as the moved folder, not as the file system's, and nothing is recreated.
moved_while_retrying() {
    cc -shared -fPIC -o "$R/fs_faults.so" tests/fs_faults.c -ldl || return 1
    run_then_move retry "failed (Input/output error): trying again in 1 s" env FS_FAULTS_EIO_WRITE=".model-:-1:4096" \
        LD_PRELOAD="$(realpath "$R/fs_faults.so")" timeout 120 bin/hep64-native --config=configs/demo_64.json \
        --dummy_data --trainsamples=64 --train_batch_size=8 --num_epochs=2
    local rc=$?
    grep -a "hepcnn: warning\|hepcnn: error" "$R/retry.out"
    [ $rc -eq 1 ] && [ ! -e "$R/retry" ] &&
        grep -aqF "hepcnn: error: outputpath $R/retry was removed or moved while this run was going" "$R/retry.out"
}
check "lock: an outputpath moved while a failed checkpoint write waits to be tried again stops the run as moved" \
    moved_while_retrying

# Parameter-server edge cases: each must end (timeout 120 s), exit 0, with
# its evaluations and a loadable last checkpoint.
ps_edge() {
    local name=$1 np=$2; shift 2
    rm -rf "$R/$name"
    "${MPI[@]}" -np "$np" "$@" --outputpath="$R/$name" > "$R/$name.out" 2>&1; local rc=$?
    tr '\r' '\n' < "$R/$name.out" | grep -a -v '^ *step [0-9]*/' | tail -12
    [ $rc -eq 0 ] || { echo "exit $rc"; return 1; }
    grep -aq "EVALUATION" "$R/$name.out" && $PY tests/check_outputs.py loadable "$R/$name"
}
EDGE=(bin/hep64-native --config=configs/demo_64.json --inputpath="$R/data" --train_batch_size=4 --num_epochs=1
      --display_interval=1 --validation_interval=1 --validation_max_steps=1 --checkpoint_steps=1 --checkpoint_minutes=0)
check "ps: async, 4 workers jump over evaluation and checkpoint steps: no hang" \
    ps_edge async4 5 "${EDGE[@]}" --num_ps=1 --mode=async
check "ps: sync, a hot spare and a slow worker 0: no hang" \
    ps_edge spare 4 -x HEPCNN_TEST_SLOW_WORKER=0:300 "${EDGE[@]}" --num_ps=1 --num_hot_spares=1
two_servers() {
    ps_edge two-sync 4 bin/hep64-native "${PSRUN[@]}" --num_ps=2 --validation_interval=0 --inputpath="$R/data" \
        --dummy_data=false --trainsamples=1000000 --train_batch_size=8 --num_epochs=1 &&
    ps_edge one-sync 3 bin/hep64-native "${PSRUN[@]}" --num_ps=1 --validation_interval=0 --inputpath="$R/data" \
        --dummy_data=false --trainsamples=1000000 --train_batch_size=8 --num_epochs=1 &&
    [ "$(final_model "$R/one-sync")" = "$(final_model "$R/two-sync")" ] &&
    same "$R/one-sync/models/$(final_model "$R/one-sync")" "$R/two-sync/models/$(final_model "$R/two-sync")" &&
    ps_edge two-async 4 "${EDGE[@]}" --num_ps=2 --mode=async
}
check "ps: two servers finish (sync equals one server bitwise; async ends)" two_servers

worker_dies() {
    rm -rf "$R/dies"; mkdir -p "$R/dies"
    cp "$R/data"/*.h5 "$R/dies/"
    "${MPI[@]}" -np 3 "${RUN[@]}" --num_ps=1 --num_epochs=50 --inputpath="$R/dies" --outputpath="$R/dies-out" \
        > "$R/dies.out" 2>&1 &
    local pid=$! t0 rc
    wait_for "$R/dies.out" "TRAINING REPORT" || return 1
    t0=$SECONDS
    kill -9 "$(rank_pid "^bin/hep64-native.*$R/dies-out" 1)"; wait $pid; rc=$?
    echo "the job ended with $rc, $((SECONDS - t0)) s after worker 1 was killed"
    [ $rc -ne 0 ] && [ $((SECONDS - t0)) -lt 30 ]
}
check "ps: a worker killed with -9 ends the job (no hang)" worker_dies
worker_fails() {
    rm -rf "$R/fails"; mkdir -p "$R/fails"
    cp "$R/data"/*.h5 "$R/fails/"
    $PY - "$R/fails/train_001.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    d = f["data"]; row = d[7]; row[1, 2, 3] = np.inf; d[7] = row
PY
    local t0=$SECONDS out rc
    out=$("${MPI[@]}" -np 3 "${RUN[@]}" --num_ps=1 --inputpath="$R/fails" --outputpath="$R/fails-out" 2>&1); rc=$?
    printf '%s\n' "$out" | tail -5
    echo "ended with $rc after $((SECONDS - t0)) s"
    [ $rc -ne 0 ] && [ $((SECONDS - t0)) -lt 30 ] &&
        grep -q "train_001.h5: dataset 'data' row 7, channel 1, pixel (2,3) is infinite" <<<"$out"
}
check "ps: a worker that meets a bad file ends the job with its message" worker_fails

# Validation files are read through before training: a bad value fails
# at once, before any checkpoint.
val_checked_first() {
    rm -rf "$R/valnan" "$R/valnan-out"
    $PY tests/make_h5.py val_nan "$R/valnan" || return 1
    expect_fail "val_000.h5: dataset 'data' row 6, channel 2, pixel (3,4) is NaN" bin/hep64-native \
        --config=configs/demo_64.json --inputpath="$R/valnan" --outputpath="$R/valnan-out" --train_batch_size=4 || return 1
    [ ! -e "$R/valnan-out/models" ] || { echo "a checkpoint was written"; return 1; }
}
check "val: a NaN in a validation file stops the run before training" val_checked_first

# The epoch's checkpoint is written before its evaluation: a validation
# file that breaks during the run costs the evaluation, not the epoch.
eval_after_checkpoint() {
    rm -rf "$R/evalfail" "$R/evalfail-out"; mkdir -p "$R/evalfail"
    cp "$R/data"/*.h5 "$R/evalfail/"
    "${RUN[@]}" --inputpath="$R/evalfail" --outputpath="$R/evalfail-out" > "$R/evalfail.out" 2>&1 &
    local pid=$! rc
    wait_for "$R/evalfail.out" "TRAINING REPORT: step 5 " || return 1
    echo "not HDF5 any more" > "$R/evalfail/val_000.h5"
    wait $pid; rc=$?
    cat "$R/evalfail.out"
    [ $rc -ne 0 ] && grep -q "val_000.h5 changed while this run was reading it (its size went from" "$R/evalfail.out" &&
        grep -q "CHECKPOINT: step 25, epoch 1" "$R/evalfail.out" && $PY tests/check_outputs.py loadable "$R/evalfail-out"
}
check "val: an evaluation failing after an epoch end loses no checkpoint" eval_after_checkpoint

serialised_hdf5() {
    HEPCNN_HDF5_SERIALIZE=1 "${RUN[@]}" --outputpath="$R/serial" > "$R/serial.out" || return 1
    grep "HDF5 calls are serialised" "$R/serial.out" && same "$R/a/models/model-50.h5" "$R/serial/models/model-50.h5"
}
check "hdf5: serialised HDF5 (a library that is not thread-safe) trains to the same weights" serialised_hdf5

# Per-channel buffers are sized by the network (20 input channels here).
wide_channels() {
    rm -rf "$R/wide" "$R/wide-out"
    $PY tests/make_h5.py channels "$R/wide" 20 16 16 32 || return 1
    bin/wide_input-native --config=configs/demo_64.json --input_shape=[20,16,16] --num_layers=2 --num_fc_units=0 \
        --conv_params.num_filters=16 --inputpath="$R/wide" --outputpath="$R/wide-out" --train_batch_size=4 \
        --num_epochs=1 > "$R/wide.out" || { cat "$R/wide.out"; return 1; }
    $PY - "$R/wide/train_000.h5" "$R/wide-out/models/model-8.h5" <<'PY'
import sys, h5py, numpy as np
want = h5py.File(sys.argv[1])["data"][()].max(axis=(0, 2, 3))
got = h5py.File(sys.argv[2])["normalization/channel_max"][()]
print("channel maxima:", got)
assert got.shape == (20,) and np.allclose(got, want), (got, want)
PY
}
check "channels: a 20-channel input's maxima are all computed and checkpointed" wide_channels
