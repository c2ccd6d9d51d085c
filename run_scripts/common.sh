# Shared by the run scripts (sourced from the original run_scripts folder,
# which the scripts find even when sbatch runs them from a spool copy):
# parse -p/-c/-n, check the binary, run srun.

hepcnn_root() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
}

hepcnn_parse_args() {
    local arch=$1 default_config=$2
    shift 2
    ROOT=$(hepcnn_root)
    NODES=${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-1}}
    NUM_PS=$([ "$NODES" -ge 2 ] && echo 1 || echo 0)
    CONFIG=$ROOT/$default_config
    NET=hep224
    EXTRA=()
    while [ $# -gt 0 ]; do
        case $1 in
            -p) NUM_PS=$2; shift 2 ;;
            -c) CONFIG=$2; shift 2 ;;
            -n) NET=$2; shift 2 ;;
            --) shift; EXTRA=("$@"); break ;;
            *) echo "usage: sbatch -N <nodes> $(basename "$0") [-p NUM_PS] [-c CONFIG] [-n NET] [-- OPTIONS]" >&2; exit 2 ;;
        esac
    done
    [ -f "$CONFIG" ] || { echo "$(basename "$0"): config $CONFIG not found" >&2; exit 2; }
    BIN=$ROOT/bin/$NET-$arch
    [ -x "$BIN" ] || { echo "$(basename "$0"): $BIN not built: run make NET=$NET ARCH=$arch in $ROOT" >&2; exit 2; }
    TASKS=$NODES
}

hepcnn_srun() {
    local cpus=$1
    echo "hepcnn: $NODES node(s), $TASKS rank(s) ($NUM_PS parameter server(s)), $OMP_NUM_THREADS threads per rank"
    echo "hepcnn: $BIN --config=$CONFIG ${EXTRA[*]:-}"
    srun -N "$NODES" -n "$TASKS" -c "$cpus" --cpu_bind=cores \
        "$BIN" --config="$CONFIG" --num_tasks="$TASKS" --num_ps="$NUM_PS" "${EXTRA[@]}"
}
