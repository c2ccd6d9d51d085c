# The run scripts on a real SLURM started here (tests/slurm.sh; two fake
# KNL nodes on this machine): sbatch -N 1 and -N 2 complete with the right
# world size and exit code 0, the default of one parameter server from 2
# nodes is passed on, and a generated dataset trains under srun.
echo "== SLURM run scripts"
ROOT=$PWD
S=$ROOT/$LOGDIR/slurm
rm -rf "$S"; mkdir -p "$S"
SLURM_DIR=/tmp/hepcnn-slurm-$$
# The KNL script and binary where this CPU runs knl builds, otherwise the
# Haswell ones (the fake nodes offer both features).
if runnable knl; then SARCH=knl SSCRIPT=run_cori_knl.sh SNAME=hepcnn_knl
else SARCH=hsw SSCRIPT=run_cori_haswell.sh SNAME=hepcnn_hsw; fi
echo "SLURM checks use run_scripts/$SSCRIPT and bin/hep64-$SARCH"
make --no-print-directory -s bin/hep64-$SARCH bin/hepcnn-datagen

# wait_job ID: until it ends; prints its state and exit code
wait_job() {
    local st
    for _ in $(seq 180); do
        st=$(scontrol show job "$1" -o 2>/dev/null | grep -o 'JobState=[A-Z_]*')
        case $st in *PENDING*|*RUNNING*|*CONFIGURING*|*COMPLETING*|*REQUEUE*|"") sleep 1 ;; *) break ;; esac
    done
    scontrol show job "$1" -o | grep -o 'JobState=[A-Z_]*\|ExitCode=[0-9:]*\|NumNodes=[0-9]*' | tr '\n' ' '
    echo
}

# Starting the local cluster needs root (munged runs as the user munge,
# slurm.conf goes to /etc/slurm): as another user each check here is
# reported skipped with that reason, never failed.
if [ "$(id -u)" -ne 0 ]; then
    SLURM_SKIP="a local SLURM (munged, slurmctld, slurmd) needs root to start: make test as root runs these checks"
    skip "slurm: slurmctld and two slurmd come up" "$SLURM_SKIP"
elif check "slurm: slurmctld and two slurmd come up" tests/slurm.sh start "$SLURM_DIR"; then
    SLURM_SKIP=
else
    SLURM_SKIP="the local SLURM did not come up (its check failed above)"
fi
slurm_check() {
    if [ -n "$SLURM_SKIP" ]; then skip "$1" "$SLURM_SKIP"; else check "$@"; fi
}

export OMP_NUM_THREADS=1 OMPI_MCA_btl=self,tcp   # two fake nodes share shared-memory names
SCRIPT_ARGS=(-n hep64 -c "$ROOT/configs/cori_${SARCH/hsw/haswell}_64.json" -- --dummy_data --trainsamples=32 --num_epochs=1
             --train_batch_size=8 --display_interval=1)
sbatch_run() {
    local nodes=$1 ranks=$2; shift 2
    local job out
    job=$(cd "$S" && sbatch --parsable -N "$nodes" "$ROOT/run_scripts/$SSCRIPT" "$@") || return 1
    wait_job "$job" | tee "$S/job-$job.state"
    out="$S/$SNAME-$job.out"
    cat "$out"
    grep -q 'JobState=COMPLETED ExitCode=0:0' "$S/job-$job.state" &&
        grep -q "hep64 (networks/hep64.lua, $SARCH), $ranks rank(s)" "$out" &&
        grep -q 'TRAINING REPORT' "$out"
}
slurm_check "slurm: sbatch -N 1 $SSCRIPT (dummy data), 1 rank, exit 0" \
    sbatch_run 1 1 -p 0 "${SCRIPT_ARGS[@]:0:4}" -- --dummy_data --trainsamples=32 --num_epochs=1 \
    --train_batch_size=8 --display_interval=1 --outputpath="$S/n1"
slurm_check "slurm: sbatch -N 2 $SSCRIPT -p 0 (allreduce), 2 ranks, exit 0" \
    sbatch_run 2 2 -p 0 "${SCRIPT_ARGS[@]:0:4}" -- --dummy_data --trainsamples=32 --num_epochs=1 \
    --train_batch_size=8 --display_interval=1 --outputpath="$S/n2"
default_ps() {
    local job
    job=$(cd "$S" && sbatch --parsable -N 2 "$ROOT/run_scripts/$SSCRIPT" "${SCRIPT_ARGS[@]}" --outputpath="$S/ps") || return 1
    wait_job "$job" | tee "$S/job-$job.state"
    cat "$S/$SNAME-$job.out"
    grep -q 'JobState=COMPLETED ExitCode=0:0' "$S/job-$job.state" &&
    grep -q '2 rank(s) (1 parameter server(s))' "$S/$SNAME-$job.out" &&
        grep -q "hep64 (networks/hep64.lua, $SARCH), 1 rank(s)" "$S/$SNAME-$job.out" &&
        grep -q 'CHECKPOINT' "$S/$SNAME-$job.out"
}
slurm_check "slurm: sbatch -N 2 default: one parameter server + one worker (as the seed), exit 0" default_ps
srun_dataset() {
    bin/hepcnn-datagen --outdir="$S/data" --train=64 --train_files=2 --val=32 --test=0 > /dev/null &&
    srun -N 1 -n 1 bin/hep64-$SARCH --config=configs/cori_${SARCH/hsw/haswell}_64.json --inputpath="$S/data" --outputpath="$S/srun" \
        --num_epochs=1 --train_batch_size=16 --batch_size_per_node=true --display_interval=1 > "$S/srun.out" 2>&1
    local rc=$?
    cat "$S/srun.out"
    [ $rc -eq 0 ] && grep -q 'EVALUATION EPOCH SUMMARY' "$S/srun.out" && grep -q '2 training and 1 validation file(s)' "$S/srun.out"
}
slurm_check "slurm: a generated dataset trains under srun" srun_dataset

# A job stopped by the signal SLURM sends before the time limit (here
# through scancel --signal) ends at a checkpoint with exit 75; submitted
# again it resumes and ends with the weights of an uninterrupted run.
# With -r the job requeues itself and finishes on its own.
LONG=(--dummy_data --trainsamples=400 --num_epochs=1 --train_batch_size=8 --display_interval=5
      --checkpoint_steps=5 --checkpoint_minutes=0)
CFG64="$ROOT/configs/cori_${SARCH/hsw/haswell}_64.json"
submit() { (cd "$S" && sbatch --parsable -N 1 "$ROOT/run_scripts/$SSCRIPT" "$@"); }
signalled() {   # signalled JOB: waits for its first checkpoint, then scancel --signal=USR1
    wait_for "$S/$SNAME-$1.out" "CHECKPOINT: step 5" && sleep 0.5 && scancel --signal=USR1 "$1"
}
slurm_resubmit() {
    local ref job
    ref=$(submit -n hep64 -c "$CFG64" -p 0 -- "${LONG[@]}" --outputpath="$S/ref") || return 1
    wait_job "$ref" | grep -q 'JobState=COMPLETED ExitCode=0:0' || { cat "$S/$SNAME-$ref.out"; return 1; }
    job=$(submit -n hep64 -c "$CFG64" -p 0 -- "${LONG[@]}" --outputpath="$S/sig") || return 1
    signalled "$job" || return 1
    wait_job "$job" | tee "$S/job-$job.state"
    cat "$S/$SNAME-$job.out"
    grep -q 'JobState=FAILED ExitCode=75:0' "$S/job-$job.state" &&
        grep -q 'stopped by SIGUSR1 after step' "$S/$SNAME-$job.out" &&
        grep -q 'submit the same job again to continue' "$S/$SNAME-$job.out" || return 1
    job=$(submit -n hep64 -c "$CFG64" -p 0 -- "${LONG[@]}" --outputpath="$S/sig") || return 1
    wait_job "$job" | grep -q 'JobState=COMPLETED ExitCode=0:0' && grep -q 'continuing at step' "$S/$SNAME-$job.out" &&
        /usr/bin/python3 tests/check_outputs.py same "$S/ref/models/model-50.h5" "$S/sig/models/model-50.h5"
}
slurm_check "slurm: scancel --signal: exit 75 at a checkpoint; resubmitted, ends bitwise as uninterrupted" slurm_resubmit
slurm_requeue() {
    local job
    job=$(submit -n hep64 -c "$CFG64" -p 0 -r -- "${LONG[@]}" --outputpath="$S/rq") || return 1
    signalled "$job" || return 1
    # SLURM holds a requeued job for AuthInfo's cred_expire + 1 seconds
    # (tests/slurm.sh: 6 s, against 121 by default), so that the first
    # run's steps and credentials are gone before it starts again.
    wait_job "$job" | tee "$S/job-$job.state"
    cat "$S/$SNAME-$job.out"
    grep -q 'JobState=COMPLETED ExitCode=0:0' "$S/job-$job.state" &&
        grep -q "requeueing job $job" "$S/$SNAME-$job.out" && grep -q 'continuing at step' "$S/$SNAME-$job.out" &&
        /usr/bin/python3 tests/check_outputs.py same "$S/ref/models/model-50.h5" "$S/rq/models/model-50.h5"
}
slurm_check "slurm: -r: a job stopped by the signal requeues itself and finishes bitwise as uninterrupted" slurm_requeue
unset OMPI_MCA_btl
export OMP_NUM_THREADS=2
# The daemons' logs outlive their state folder, for a failure's post-mortem.
cp "$SLURM_DIR"/*.log "$S"/ 2>/dev/null
[ "$(id -u)" -ne 0 ] || tests/slurm.sh stop "$SLURM_DIR"
