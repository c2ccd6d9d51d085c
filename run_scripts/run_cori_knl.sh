#!/bin/bash
#SBATCH -q regular
#SBATCH -C knl
#SBATCH -t 02:00:00
#SBATCH -J hepcnn_knl
#SBATCH -L SCRATCH
#SBATCH -o hepcnn_knl-%j.out
#SBATCH --open-mode=append
#SBATCH --requeue
#SBATCH --signal=USR1@180
# hepcnn on Cori KNL nodes (Xeon Phi 7250: 68 cores x 4 hardware threads),
# one MPI rank per node, in the seed's form:
#
#   sbatch -N <nodes> run_scripts/run_cori_knl.sh [-p NUM_PS] [-c CONFIG] [-n NET] [-r] [-- OPTIONS...]
#
# -p: parameter-server ranks (default 1 when nodes >= 2, as the seed; -p 0:
#     allreduce); -c: config (default configs/cori_knl_224.json); -n: network
#     (default hep224; the binary is bin/<net>-knl, built with make NET=<net> ARCH=knl);
# -r: when the time limit stops the run (at a checkpoint), requeue this job
#     so that it continues; without -r, submit it again.
# OPTIONS go to the binary, e.g. -- --dummy_data --num_epochs=1.
# Works from any folder: the project is found from this script's own path.
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
hepcnn_parse_args knl configs/cori_knl_224.json "$@"
# 66 of the 68 cores compute; two are left to the OS and MPI's progress.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-66}
export OMP_PLACES=${OMP_PLACES:-cores} OMP_PROC_BIND=${OMP_PROC_BIND:-spread}
hepcnn_srun 272
