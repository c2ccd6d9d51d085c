#!/bin/bash
# A weak-scaling series as the seed ran it: one job per node count, each
# starting after the previous one ends (so they do not compete).
#
#   run_scripts/submit_scaling.sh [-s SCRIPT] [-l "1 2 4 8 16"] [-- SCRIPT_OPTIONS...]
#
# SCRIPT is run_cori_knl.sh (default) or run_cori_haswell.sh; its options
# (-p, -c, -n, -- ...) follow the --. Prints the job ids.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script=$here/run_cori_knl.sh
counts="1 2 4 8 16 32 64"
. "$here/common.sh"
while [ $# -gt 0 ]; do
    case $1 in -s | -l) hepcnn_needs_value "$1" $# ;; esac
    case $1 in
        -s) script=$here/$(basename "$2"); shift 2 ;;
        -l) counts=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "usage: $(basename "$0") [-s SCRIPT] [-l \"NODE COUNTS\"] [-- SCRIPT_OPTIONS]" >&2; exit 2 ;;
    esac
done
[ -f "$script" ] || { echo "$(basename "$0"): no run script $script (-s takes run_cori_knl.sh or run_cori_haswell.sh)" >&2; exit 2; }
[ -n "$counts" ] || { echo "$(basename "$0"): -l takes node counts, as -l \"1 2 4\"" >&2; exit 2; }
for nodes in $counts; do hepcnn_check_count "-l" "$nodes" 1; done
previous=""
for nodes in $counts; do
    job=$(sbatch --parsable ${previous:+--dependency=afterany:$previous} -N "$nodes" \
          -o "hepcnn_scaling_${nodes}n-%j.out" "$script" "$@")
    echo "$nodes node(s): job $job"
    previous=$job
done
