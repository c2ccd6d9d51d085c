#!/bin/bash
#SBATCH -q regular
#SBATCH -C haswell
#SBATCH -t 02:00:00
#SBATCH -J hepcnn_hsw
#SBATCH -L SCRATCH
#SBATCH -o hepcnn_hsw-%j.out
# hepcnn on Cori Haswell nodes (2 x 16 cores, 2 hardware threads each), one
# MPI rank per node, in the seed's form:
#
#   sbatch -N <nodes> run_scripts/run_cori_haswell.sh [-p NUM_PS] [-c CONFIG] [-n NET] [-- OPTIONS...]
#
# Options as run_cori_knl.sh; default config configs/cori_haswell_224.json,
# binary bin/<net>-hsw (make NET=<net> ARCH=hsw).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/common.sh"
hepcnn_parse_args hsw configs/cori_haswell_224.json "$@"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-32}
export OMP_PLACES=${OMP_PLACES:-cores} OMP_PROC_BIND=${OMP_PROC_BIND:-spread}
hepcnn_srun 64
