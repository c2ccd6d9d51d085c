# Shared by the run scripts: find the project, parse -p/-c/-n, run srun.
# Under sbatch the script runs from a copy in SLURM's spool folder, so the
# project is found from the job's own command (scontrol), then from
# HEPCNN_ROOT, then from this file's location.

hepcnn_root() {
    local cmd=""
    if [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
        cmd=$(scontrol show job "$SLURM_JOB_ID" -o 2>/dev/null | sed -n 's/.*Command=\([^ ]*\).*/\1/p')
    fi
    if [ -n "$cmd" ] && [ -f "$(dirname "$cmd")/../Makefile" ]; then
        (cd "$(dirname "$cmd")/.." && pwd)
    elif [ -n "${HEPCNN_ROOT:-}" ]; then
        echo "$HEPCNN_ROOT"
    else
        (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    fi
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
