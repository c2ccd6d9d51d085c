#!/usr/bin/env bash
# make bench: training and inference throughput of hep224 and hep64 against
# the GEMM peak measured in the same run, per layer and pass. Writes the
# figures as JSON lines to build/bench/results-<host>.json.
# Environment: BENCH_ARCHS (default "native"), BENCH_STEPS (default 2),
# BENCH_ROUNDS (default 9: hepcnn and oneDNN alternate, ratios are the
# median over the rounds), BENCH_PAIRS (default 3: alternating pairs of the
# files/dummy data and ranks/threads comparisons), OMP_NUM_THREADS
# (default: all cores); BENCH_NET (make bench NET=..) and BENCH_BATCH: one
# network alone.
set -eu
cd "$(dirname "$0")/.."
archs=${BENCH_ARCHS:-native}
# Many short rounds rather than a few long ones: on a shared host whose
# speed moves within seconds, a round's two sides then run close together.
# hep64 skx on an Intel VM, runs of one section one after another: 9 rounds
# of 2 steps gave training ratios 0.87-0.94 and forward 0.99-1.17 (4 runs,
# about 50 s each); 3 rounds of 6 steps 0.82-0.99 and 0.74-1.35 (9 runs,
# about 35 s each).
steps=${BENCH_STEPS:-2}
rounds=${BENCH_ROUNDS:-9}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
# Threads are left unbound unless the caller binds them: binding (OMP_PROC_BIND)
# made oneDNN 20-40% slower on the 2-core development machine, hepcnn no faster.
unset LIBXSMM_TARGET
case ${BENCH_NET:-} in
    */* | *[[:space:]]*) echo "make bench: NET=$BENCH_NET: expected a network's name (networks/NAME.lua)" >&2; exit 2 ;;
esac
for arch in $archs; do
    case $arch in
        knl | hsw | skx | native) ;;
        *) echo "make bench: arch '$arch' (BENCH_ARCHS or ARCH) is not one of: knl hsw skx native" >&2; exit 2 ;;
    esac
done
# A network without its file is named by the generator's make rule, before
# the banner; the code it generates is the first arch's, needed anyway.
if [ -n "${BENCH_NET:-}" ]; then
    make --no-print-directory -s "build/$BENCH_NET-${archs%% *}/model.c" > /dev/null || exit 2
fi
mkdir -p build/bench
out=build/bench/results-$(hostname -s)${BENCH_NET:+-$BENCH_NET}.json
: > "$out"
load() { awk '{ print $1 }' /proc/loadavg; }
echo "hepcnn bench on $(hostname -s) ($(sh bench/cpu_line.sh)), $(nproc) cores, $OMP_NUM_THREADS threads; load average before: $(load)"
echo "(a load average well above 0 means another process shares the cores: figures will be low)"
# bench_net NET BATCH ARCH: one network's figures (bench/bench_model.c)
bench_net() {
    make --no-print-directory -s "build/$1-$3/bench_model"
    echo
    "build/$1-$3/bench_model" "$2" "$steps" "$out" "$rounds"
}
# make bench NET=..: that network alone (one's own edited network, say), on
# each arch, at BENCH_BATCH images (default: make tune's batch for its input).
if [ -n "${BENCH_NET:-}" ]; then
    for arch in $archs; do
        bench_net "$BENCH_NET" "${BENCH_BATCH:-auto}" "$arch"
    done
    echo
    echo "figures as JSON lines: $out"
    exit 0
fi
for arch in $archs; do
    bench_net hep224 16 "$arch"
    bench_net hep64 64 "$arch"
done
# The same networks with every conv direct (tests/nets/*_direct.lua: the
# algorithm before Winograd), with Winograd F(2x2,3x3) instead of the
# cost model's F(4x4,3x3) (tests/nets/*_wino.lua) and with F(6x6,3x3)
# (tests/nets/*_wino6.lua), against oneDNN's best
# (its Winograd where it offers one).
arch0=${archs%% *}
echo
echo "== every conv direct: hep224_direct and hep64_direct (tests/nets), $arch0"
bench_net hep224_direct 16 "$arch0"
bench_net hep64_direct 64 "$arch0"
echo
echo "== Winograd F(2x2,3x3) in every pass: hep224_wino and hep64_wino (tests/nets), $arch0"
bench_net hep224_wino 16 "$arch0"
bench_net hep64_wino 64 "$arch0"
echo
echo "== Winograd F(6x6,3x3) in every pass, partial tiles: hep224_wino6 and hep64_wino6 (tests/nets), $arch0"
bench_net hep224_wino6 16 "$arch0"
bench_net hep64_wino6 64 "$arch0"
# On an AVX-512 host, what an AVX2-only host (Cori's Haswell nodes, the AVX2
# machines of this project's kind) would see: hepcnn's hsw code against
# oneDNN held to its AVX2 code, which is all such a host runs (oneDNN offers
# Winograd only from AVX-512 up, so its best there is direct).
if grep -qw avx512f /proc/cpuinfo; then
    echo
    echo "== an AVX2-only host, emulated: hsw code against oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)"
    echo "   (the same cores at 8 floats a vector: the peak line is this CPU's, not a real AVX2 machine's)"
    export ONEDNN_MAX_CPU_ISA=AVX2
    bench_net hep224 16 hsw
    bench_net hep64 64 hsw
    unset ONEDNN_MAX_CPU_ISA
fi
# hep224 training fed from HDF5 files against --dummy_data, same binary,
# same steps: images/s from the report lines after the first (warm-up).
echo
. bench/pairs.sh   # rate, ab_pairs
pairs=${BENCH_PAIRS:-3}

echo "== hep224 training from HDF5 files on disk vs --dummy_data (target >= 97%)"
make --no-print-directory -s "bin/hep224-$arch0" bin/hepcnn-datagen
data=build/bench/data224
[ -f "$data/train_001.h5" ] || bin/hepcnn-datagen --outdir=$data --size=224 --train=96 --train_files=2 --val=0 --test=0 >/dev/null
common=(--config=configs/cori_knl_224.json --train_batch_size=16 --num_epochs=1 --trainsamples=192
        --display_interval=2 --outputpath=build/bench/run224)
# (checkpoints in the output path would be resumed: each run starts without)
from_files() { rm -rf build/bench/run224; "bin/hep224-$arch0" "${common[@]}" --inputpath=$data; }
from_dummy() { rm -rf build/bench/run224; "bin/hep224-$arch0" "${common[@]}" --dummy_data; }
ab_pairs from_files from_dummy "from files" "dummy data"
rm -rf build/bench/run224
echo "  files / dummy $ab_ratio% (median of the pairs)"
grep 'hepcnn: data:' <<<"$ab_last_a" | sed 's/^hepcnn: data: /  reader (last run): /'
echo "  (the files were just written, so they are likely in the page cache: a cold read is slower)"
printf '{"network": "hep224", "files_img_s": %s, "dummy_img_s": %s, "files_over_dummy_pct": %s}\n' \
    "$ab_rates_a" "$ab_rates_b" "$ab_ratio" >> "$out"

# 2 MPI ranks x 1 thread against 1 rank x 2 threads, the same global batch
# (hep224, 16 images, dummy data), the allreduce overlapped with backward.
# 30 steps a run: with 10, single pairs on the 2-core development machine
# ranged over 87-104%; with 30, five pairs in a row gave 95.5-99.5%.
echo
echo "== hep224: 2 ranks x 1 thread against 1 rank x 2 threads (target >= 95%)"
mpi=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
common2=(--config=configs/cori_knl_224.json --dummy_data --train_batch_size=16 --batch_size_per_node=false
         --num_epochs=1 --trainsamples=480 --display_interval=2)
two_ranks() { rm -rf build/bench/run-2x1; "${mpi[@]}" -np 2 -x OMP_NUM_THREADS=1 "bin/hep224-$arch0" "${common2[@]}" --outputpath=build/bench/run-2x1; }
one_rank() { rm -rf build/bench/run-1x2; OMP_NUM_THREADS=2 "bin/hep224-$arch0" "${common2[@]}" --outputpath=build/bench/run-1x2; }
ab_pairs two_ranks one_rank "2 ranks x 1 thread" "1 rank x 2 threads"
echo "  2x1 / 1x2 $ab_ratio% (median of the pairs)"
grep 'gradient allreduce' <<<"$ab_last_a" | sed 's/^hepcnn: /  (last run) /'
printf '{"network": "hep224", "ranks2x1_img_s": %s, "ranks1x2_img_s": %s, "ranks2x1_over_1x2_pct": %s}\n' \
    "$ab_rates_a" "$ab_rates_b" "$ab_ratio" >> "$out"

# A rank with fewer images than threads (the seed's cori_knl_64.json on
# KNL: 8 images on 66 threads) shares each image's rows out in the
# backward: hep224's images/s with half an image per thread against one.
half=$(( OMP_NUM_THREADS / 2 > 0 ? OMP_NUM_THREADS / 2 : 1 ))
echo
echo "== hep224 with $half image(s) per step on $OMP_NUM_THREADS threads (each image's rows shared out) against $OMP_NUM_THREADS, $arch0"
make --no-print-directory -s "build/hep224-$arch0/bench_model"
for batch in $half "$OMP_NUM_THREADS" $half "$OMP_NUM_THREADS"; do
    printf '  batch %-3s' "$batch"
    "build/hep224-$arch0/bench_model" "$batch" 10 "$out" 1 | grep -m1 'training step' | sed 's/^  training step *//'
done

echo
echo "== peak resident memory, hep224 batch 128 training (target <= 2.5 GB; PyTorch: 9.6 GiB)"
make --no-print-directory -s "build/hep224-${archs%% *}/bench_model"
"build/hep224-${archs%% *}/bench_model" 128 0 "$out"

# The peers, the same network in other frameworks (bench/peers/, copies of
# ../shared/peers): PyTorch when Debian's python3-torch is installed, and
# TensorFlow (the seed's framework) from the virtual environment that
# `make bench-peers` makes (tensorflow-cpu from PyPI) in build/venv-peers.
peers=${BENCH_PEERS:-bench/peers}
# Debian's python3-torch lives in the system interpreter, which a pyenv or
# virtualenv python3 on PATH may hide.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if $py -c 'import torch' 2>/dev/null; then
    echo
    echo "== PyTorch peer ($peers/torch_hepcnn.py), $OMP_NUM_THREADS threads, hugetlb malloc"
    for spec in "hep224 16 3" "hep64 64 5"; do
        set -- $spec
        GLIBC_TUNABLES=glibc.malloc.hugetlb=1 $py "$peers/torch_hepcnn.py" "$1" "$2" "$OMP_NUM_THREADS" "$3" || true
    done
else
    echo
    echo "(PyTorch peer skipped: needs Debian's python3-torch)"
fi
tfpy=build/venv-peers/bin/python
if [ -x "$tfpy" ] && "$tfpy" -c 'import tensorflow' 2>/dev/null; then
    echo
    echo "== TensorFlow peer ($peers/tf_hepcnn.py), $OMP_NUM_THREADS threads"
    for spec in "hep224 16 3" "hep64 64 5"; do
        set -- $spec
        TF_CPP_MIN_LOG_LEVEL=2 "$tfpy" "$peers/tf_hepcnn.py" "$1" "$2" "$OMP_NUM_THREADS" "$3" 2>/dev/null | grep '^tensorflow' || true
    done
else
    echo
    echo "(TensorFlow peer skipped: make bench-peers installs tensorflow-cpu into build/venv-peers)"
fi
echo
echo "load average after: $(load); JSON: $out"
