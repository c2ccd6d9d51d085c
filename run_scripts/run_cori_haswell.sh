#!/bin/bash
#SBATCH -q regular
#SBATCH -C haswell
#SBATCH -t 02:00:00
#SBATCH -J hepcnn_hsw
#SBATCH -L SCRATCH
#SBATCH -o hepcnn_hsw-%j.out
#SBATCH --open-mode=append
#SBATCH --requeue
#SBATCH --signal=USR1@180
# hepcnn on Cori Haswell nodes (2 x 16 cores, 2 hardware threads each), one
# MPI rank per node, in the seed's form:
#
#   sbatch -N <nodes> run_scripts/run_cori_haswell.sh [-p NUM_PS] [-c CONFIG] [-n NET] [-- OPTIONS...]
#
# Options as run_cori_knl.sh; default config configs/cori_haswell_224.json,
# binary bin/<net>-hsw (make NET=<net> ARCH=hsw).
set -euo pipefail
# Under sbatch this file runs from a copy in SLURM's spool folder: the job's
# command (scontrol) says where the original is.
script=${BASH_SOURCE[0]}
if [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
    original=$(scontrol show job "$SLURM_JOB_ID" -o 2>/dev/null | sed -n 's/.*Command=\([^ ]*\).*/\1/p')
    [ -f "$original" ] && script=$original
fi
here=$(cd "$(dirname "$script")" && pwd)
[ -f "$here/common.sh" ] || here=${HEPCNN_ROOT:-.}/run_scripts
. "$here/common.sh"
hepcnn_parse_args hsw configs/cori_haswell_224.json "$@"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-32}
export OMP_PLACES=${OMP_PLACES:-cores} OMP_PROC_BIND=${OMP_PROC_BIND:-spread}
hepcnn_srun 64
