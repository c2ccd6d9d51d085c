# shellcheck shell=bash
# Shared by the run scripts (sourced from the original run_scripts folder,
# which the scripts find even when sbatch runs them from a spool copy):
# parse -p/-c/-n/-r, check the binary, run srun, requeue when asked. The
# option checks (hepcnn_needs_value, hepcnn_check_count) serve
# run_local.sh and submit_scaling.sh too.
#
# Long trainings across jobs: the scripts ask SLURM for SIGUSR1 three
# minutes before the time limit (#SBATCH --signal=USR1@180); the binary then
# finishes its step, writes a checkpoint and exits 75. Submitting the job
# again continues from that checkpoint (outputpath/models); with -r the job
# requeues itself (scontrol requeue) until the training is done. The job's
# output file is appended to (#SBATCH --open-mode=append), so a requeued
# job keeps its history.

hepcnn_root() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
}

# hepcnn_needs_value OPTION ARGC: an option that takes a value is not the
# last argument (set -u would stop on "$2: unbound variable" instead).
hepcnn_needs_value() {
    [ "$2" -ge 2 ] || { echo "$(basename "$0"): $1 needs a value (see the usage at the top of $(basename "$0"))" >&2; exit 2; }
}

# hepcnn_check_count OPTION VALUE MIN: VALUE is a whole number >= MIN.
hepcnn_check_count() {
    case $2 in
        '' | *[!0-9]*) ;;
        *) [ "$2" -ge "$3" ] && return 0 ;;
    esac
    echo "$(basename "$0"): $1 takes a whole number >= $3, got '$2'" >&2
    exit 2
}

hepcnn_parse_args() {
    local arch=$1 default_config=$2
    shift 2
    ROOT=$(hepcnn_root)
    NODES=${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-1}}
    NUM_PS=$([ "$NODES" -ge 2 ] && echo 1 || echo 0)
    CONFIG=$ROOT/$default_config
    NET=hep224
    REQUEUE=0
    EXTRA=()
    while [ $# -gt 0 ]; do
        case $1 in -p | -c | -n) hepcnn_needs_value "$1" $# ;; esac
        case $1 in
            -p) NUM_PS=$2; shift 2 ;;
            -c) CONFIG=$2; shift 2 ;;
            -n) NET=$2; shift 2 ;;
            -r) REQUEUE=1; shift ;;
            --) shift; EXTRA=("$@"); break ;;
            *) echo "usage: sbatch -N <nodes> $(basename "$0") [-p NUM_PS] [-c CONFIG] [-n NET] [-r] [-- OPTIONS]" >&2; exit 2 ;;
        esac
    done
    hepcnn_check_count -p "$NUM_PS" 0
    [ -f "$CONFIG" ] || { echo "$(basename "$0"): config $CONFIG not found" >&2; exit 2; }
    BIN=$ROOT/bin/$NET-$arch
    [ -x "$BIN" ] || { echo "$(basename "$0"): $BIN not built: run make NET=$NET ARCH=$arch in $ROOT" >&2; exit 2; }
    TASKS=$NODES
}

# Exit 75 from the binary: stopped by a signal after writing its checkpoint.
HEPCNN_EXIT_STOPPED=75

hepcnn_srun() {
    local cpus=$1 rc=0
    echo "hepcnn: job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}), $NODES node(s), $TASKS rank(s)" \
         "($NUM_PS parameter server(s)), $OMP_NUM_THREADS threads per rank"
    echo "hepcnn: $BIN --config=$CONFIG ${EXTRA[*]:-}"
    # --kill-on-bad-exit: a rank that fails ends the whole step, never a hang
    srun --kill-on-bad-exit=1 -N "$NODES" -n "$TASKS" -c "$cpus" --cpu_bind=cores \
        "$BIN" --config="$CONFIG" --num_tasks="$TASKS" --num_ps="$NUM_PS" "${EXTRA[@]}" || rc=$?
    if [ $rc -eq $HEPCNN_EXIT_STOPPED ]; then
        echo "hepcnn: the run stopped at a checkpoint (a signal: the time limit is near, or scancel --signal)"
        if [ "$REQUEUE" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
            # said first: the requeue ends this script (SIGTERM), often
            # before a line after it would be written
            echo "hepcnn: requeueing job $SLURM_JOB_ID: it will continue from the checkpoint"
            scontrol requeue "$SLURM_JOB_ID" && exit 0
            echo "hepcnn: scontrol requeue failed: submit the job again to continue"
        else
            echo "hepcnn: submit the same job again to continue (or use -r to requeue automatically)"
        fi
    fi
    exit $rc
}
