# Kernel tests (sourced by tests/run.sh): every layer and pass against the
# plain-loop reference, on every arch's code path (the knl and hsw builds set
# libxsmm's target to knl / hsw themselves, so that code really runs here);
# finite-difference gradient checks of small generated networks.
echo "== layers against the plain-loop reference"

# The test drivers of every NET ARCH pair that a check of this file names
# (on an arch this CPU runs), built side by side first: one model.c
# compiles on one core.
kernel_drivers() {
    sed -nE 's/.*(layers_on_target|streamed|shared_out [0-9]+) ([a-z0-9_]+) ([a-z]+) .*/\2 \3 test_layers/p
             s/.*(gradcheck|gradcheck_on [0-9]+) ([a-z0-9_]+) ([a-z]+)( .*)?$/\2 \3 test_gradcheck/p' tests/test_kernels.sh |
        sort -u | while read -r net arch driver; do runnable "$arch" && echo "build/$net-$arch/$driver"; done
}
prebuild $(kernel_drivers) build/test_pieces

# The target check reads the program's own first line.
layers_on_target() {
    local net=$1 arch=$2 batch=$3 want=$4 out
    make --no-print-directory -s "build/$net-$arch/test_layers" || return 1
    out=$("build/$net-$arch/test_layers" "$batch"); local rc=$?
    printf '%s\n' "$out"
    [ $rc -eq 0 ] || return 1
    if [ -n "$want" ] && ! grep -q "libxsmm target $want)" <<<"$out"; then
        echo "expected libxsmm target $want"; return 1
    fi
}
# Batch 18 on 2 threads is 9 images each: hep64's Winograd backward-weights
# products go by groups of whole images on the AVX-512 archs (conv2's
# F(8x8) and conv3's F(4x4): 2 images, groups of 8 tile rows, in
# tuning/skx.lua's arch-wide entries; 4 in knl's defaults; hsw's by the
# image), so each thread has full groups, and a partial group taken at its
# last image.
for arch in native skx hsw knl; do
    want=""; [ $arch = native ] || want=$arch
    arch_check "layers hep64-$arch (batch 18)" $arch layers_on_target hep64 $arch 18 "$want"
done
check "layers hep64_4class-native (batch 5)" layers_on_target hep64_4class native 5 ""
check "layers hep224-native (batch 3)" layers_on_target hep224 native 3 ""
check "layers hep224-hsw (batch 3)" layers_on_target hep224 hsw 3 hsw
# dropout on an unpooled conv (its draws per row, forward and backward) and
# on the first conv (drawn for the whole row of channel blocks)
check "layers tiny_flatten-native, dropout unpooled and first (batch 4)" layers_on_target tiny_flatten native 4 ""
check "layers tiny_flatten-hsw, dropout unpooled and first (batch 4)" layers_on_target tiny_flatten hsw 4 hsw
# the first conv's backward-weights from its input patches (knl and skx
# code) with 20 input channels: one call of n = 180 per block
arch_check "layers wide_input-knl, a 20-channel first conv by input patches (batch 3)" knl \
    layers_on_target wide_input knl 3 knl
# every layer's output and pool mask by streaming stores (the default streams
# only outputs past 64 MiB for the batch, which these small batches are not):
# the first conv, a Winograd forward (hep64), a direct one, batch norm's
streamed() { HEPCNN_STREAM_MIB=0 layers_on_target "$@"; }
check "layers hep64-native, outputs by streaming stores (batch 5)" streamed hep64 native 5 ""
check "layers hep64-hsw, outputs by streaming stores (batch 5)" streamed hep64 hsw 5 hsw
check "layers hep64_direct-native, outputs by streaming stores (batch 3)" streamed hep64_direct native 3 ""
check "layers tiny_bn-native, outputs by streaming stores (batch 4)" streamed tiny_bn native 4 ""
# batch norm: training (batch statistics, running-average updates), backward,
# and inference with the running averages folded into the conv
check "layers tiny_bn-native, batch norm (batch 4)" layers_on_target tiny_bn native 4 ""
check "layers tiny_bn-hsw, batch norm (batch 4)" layers_on_target tiny_bn hsw 4 hsw
check "layers hep64_bn-native (batch 3)" layers_on_target hep64_bn native 3 ""
check "layers hep224_bn-native (batch 1)" layers_on_target hep224_bn native 1 ""

# Denormal floats flushed to zero in the caller and every thread of the
# model (runtime/denormals.h: an Intel core's FMA on one takes a microcode
# assist; hep64 at batch 8 ran 5x slower a step once its loss was small).
denormals_flushed() {
    make --no-print-directory -s "build/$1/test_denormals" && "build/$1/test_denormals" 2
}
check "denormals flushed to zero in every thread of the model, hep64-native" denormals_flushed hep64-native
check "denormals flushed to zero in every thread of the model, hep64-hsw" denormals_flushed hep64-hsw

# The model's arena and the runtime's large buffers ask for transparent huge
# pages (about 4% of a step on a host whose THP setting is madvise-only);
# skipped where the kernel has none.
arena_in_huge_pages() {
    make --no-print-directory -s build/hep64-native/test_arena && build/hep64-native/test_arena 16
}
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [ -z "$thp" ] || [ "$thp" = never ]; then
    skip "arena and runtime buffers in huge pages, hep64-native (batch 16)" "transparent huge pages ${thp:-absent}"
else
    check "arena and runtime buffers in huge pages, hep64-native (batch 16)" arena_in_huge_pages
fi

# Winograd F(4x4,3x3) and F(2x2,3x3), forward, backward-data and
# backward-weights (pooled and unpooled layers)
check "layers tiny_winograd-native, Winograd F(4x4), F(2x2) (batch 4)" layers_on_target tiny_winograd native 4 ""
check "layers tiny_winograd-hsw, Winograd F(4x4), F(2x2) (batch 4)" layers_on_target tiny_winograd hsw 4 hsw
check "layers hep64_wino-native, Winograd F(2x2) conv2, conv3 (batch 3)" layers_on_target hep64_wino native 3 ""
check "layers hep224_wino-native, Winograd F(2x2) conv2..conv5 (batch 1)" layers_on_target hep224_wino native 1 ""
# F(6x6,3x3) and partial edge tiles (F(6x6) pooled at 10x10, F(4x4) and
# F(2x2) at 5x5; hep224's conv2 at 112x112 in chunks with a shorter last one)
check "layers tiny_winograd6-native, Winograd F(6x6), partial tiles (batch 4)" layers_on_target tiny_winograd6 native 4 ""
check "layers tiny_winograd6-hsw, Winograd F(6x6), partial tiles (batch 4)" layers_on_target tiny_winograd6 hsw 4 hsw
check "layers hep64_wino6-native, Winograd F(6x6) conv2, conv3 (batch 3)" layers_on_target hep64_wino6 native 3 ""
check "layers hep224_wino6-native, Winograd F(6x6) conv2..conv5 (batch 1)" layers_on_target hep224_wino6 native 1 ""
# F(8x8,3x3): whole and partial tiles, pooled and not (tiny_winograd8), and
# hep64's conv2 and conv3 at 32x32 and 16x16; its gradients to 2e-4 where
# no ReLU or pool window can flip (linear_winograd8, see there)
check "layers tiny_winograd8-native, Winograd F(8x8), partial tiles (batch 4)" layers_on_target tiny_winograd8 native 4 ""
check "layers tiny_winograd8-hsw, Winograd F(8x8), partial tiles (batch 4)" layers_on_target tiny_winograd8 hsw 4 hsw
check "layers linear_winograd8-native, Winograd F(8x8) without kinks (batch 3)" layers_on_target linear_winograd8 native 3 ""
check "layers hep64_wino8-native, Winograd F(8x8) conv2, conv3 (batch 3)" layers_on_target hep64_wino8 native 3 ""
# every conv direct (hep64 and hep224 choose Winograd by the cost model)
check "layers hep64_direct-native (batch 3)" layers_on_target hep64_direct native 3 ""
check "layers hep64_direct-hsw (batch 3)" layers_on_target hep64_direct hsw 3 hsw
check "layers hep224_direct-native (batch 1)" layers_on_target hep224_direct native 1 ""

# The images left over from whole rounds (all of them when there are fewer
# than threads) go layer by layer with each
# image's rows shared out (conv_backward.c's _backward_split; batches 3 and
# 5 above leave one on 2 threads, the batch-1 checks one). Every variant of its
# stages: Winograd with whole-image groups (hep64; at 13 images on 2
# threads each thread's 6 wait in its group when the left-over one starts)
# and by tile rows (hsw), direct backward-weights by runs of rows
# (hep64_direct), batch norm's sums, the first conv by input patches (knl),
# dropout on unpooled and first convs. With fewer Winograd tile rows than
# threads, the forward and both backward passes cut each tile row into
# parts of its channel blocks (runtime/pieces.h): one block a part (hep64,
# KB = 2; hep64_bn's batch-norm conv pass), one or two of hsw's four,
# partial tiles; and the KNL check below, 32 tile rows on 66 threads.
shared_out() {
    local threads=$1 out; shift
    out=$(OMP_NUM_THREADS=$threads layers_on_target "$@") || { printf '%s\n' "$out"; return 1; }
    printf '%s\n' "$out"
    grep -q "batch $3, $threads threads," <<<"$out"
}
check "layers hep64-native, 3 images on 4 threads" shared_out 4 hep64 native 3 ""
check "layers hep64-native, 13 images on 2 threads (12 whole, 1 shared out)" shared_out 2 hep64 native 13 ""
check "layers hep64-hsw, 5 images on 3 threads (3 whole, 2 shared out)" shared_out 3 hep64 hsw 5 hsw
check "layers hep64_direct-native, 3 images on 5 threads" shared_out 5 hep64_direct native 3 ""
check "layers tiny_bn-native, batch norm, 2 images on 3 threads" shared_out 3 tiny_bn native 2 ""
check "layers tiny_bn-native, batch norm, 5 images on 3 threads (3 whole, 2 shared out)" shared_out 3 tiny_bn native 5 ""
check "layers tiny_flatten-native, dropout unpooled and first, 5 images on 3 threads" shared_out 3 tiny_flatten native 5 ""
check "layers tiny_winograd8-native, partial tiles, 3 images on 4 threads" shared_out 4 tiny_winograd8 native 3 ""
check "pieces: a tile row stays whole with enough of them, is cut for many threads, its parts cover its blocks" \
    bash -c 'make --no-print-directory -s build/test_pieces && build/test_pieces'
check "layers hep64-native, 1 image on 8 threads (tile rows in parts of 1 block)" shared_out 8 hep64 native 1 ""
check "layers hep64-hsw, 1 image on 9 threads (conv3's tile rows in 2 parts of its 4 blocks)" shared_out 9 hep64 hsw 1 hsw
check "layers hep64-hsw, 1 image on 16 threads (conv2's tile rows in 2 parts, conv3's in 4)" shared_out 16 hep64 hsw 1 hsw
check "layers hep64_bn-native, 1 image on 8 threads (batch norm's conv pass in parts)" \
    shared_out 8 hep64_bn native 1 ""
check "layers tiny_winograd8-native, partial tiles, 1 image on 8 threads (parts)" shared_out 8 tiny_winograd8 native 1 ""
arch_check "layers wide_input-knl, the first conv by input patches, 1 image on 3 threads" knl \
    shared_out 3 wide_input knl 1 knl
# the seed's cori_knl_64.json on one KNL node: 8 images on 66 threads
arch_check "layers hep64-knl, 8 images on 66 threads (cori_knl_64 on one node)" knl shared_out 66 hep64 knl 8 knl

echo "== the pooled epilogue and its backward bit for bit against their documented results"
# ties, exact zeros, with and without ReLU, mask and streaming; the hsw
# build takes the AVX2 vector-mask code, knl, skx and native (on an
# AVX-512 host) the AVX-512F mask-register code (and every build the plain
# loop for a block of 12, without a mask), a plain x86-64 build the plain
# loop throughout; the backward over every mask byte, with and
# without dropout: AVX-512 builds by the mask's planes loaded as mask
# registers, hsw by each lane's bit tested, the plain x86-64 build by the
# plain loop
epilogue_on() { make --no-print-directory -s "build/runtime-$1/test_epilogue" && "build/runtime-$1/test_epilogue"; }
for arch in native skx hsw knl; do
    arch_check "pooled epilogue, mask bytes and values, and its backward ($arch)" $arch epilogue_on $arch
done
check "pooled epilogue, mask bytes and values, and its backward (plain C, x86-64 baseline)" epilogue_on plain

echo "== dropout draws: vectorised runs against the scalar definition, kept fractions"
# each ISA has its own Philox and extraction code; 1, 2, 4, 8 and 16 draw bits
dropout_on() { make --no-print-directory -s "build/runtime-$1/test_dropout" && "build/runtime-$1/test_dropout"; }
for arch in native skx hsw knl; do
    arch_check "dropout draws, every bit width ($arch)" $arch dropout_on $arch
done

echo "== finite-difference gradient checks"
# gradcheck NET ARCH [BATCH]
gradcheck() {
    make --no-print-directory -s "build/$1-$2/test_gradcheck" && "build/$1-$2/test_gradcheck" "${3:-3}"
}
check "gradcheck tiny_avgpool-native" gradcheck tiny_avgpool native
check "gradcheck tiny_flatten-native" gradcheck tiny_flatten native
check "gradcheck tiny_avgpool-hsw" gradcheck tiny_avgpool hsw
check "gradcheck tiny_bn-native (batch norm)" gradcheck tiny_bn native
# batch 4: at batch 3 a ReLU of d1 sits within the step of its kink (the
# direct build of the same network fails there the same way)
check "gradcheck tiny_winograd-native (Winograd F(4x4) and F(2x2), every pass)" gradcheck tiny_winograd native 4
gradcheck_on() { OMP_NUM_THREADS=$1 gradcheck "${@:2}"; }
check "gradcheck tiny_winograd-native, 5 images on 3 threads (3 whole, 2 shared out)" \
    gradcheck_on 3 tiny_winograd native 5
check "gradcheck tiny_bn-native, 2 images on 3 threads (each image's rows shared out)" gradcheck_on 3 tiny_bn native 2
check "gradcheck tiny_winograd6-native (Winograd F(6x6), partial tiles, every pass)" gradcheck tiny_winograd6 native 4
check "gradcheck linear_winograd8-native (Winograd F(8x8), partial tiles, every pass)" gradcheck linear_winograd8 native 3

echo "== layers with an unusual blocking (a tuning file far from the defaults)"
# the section's builds, two or more checks on some of them
variants=(odd-hep64-native:hep64:native:tests/tuning/odd-hep64.lua odd-hep64-hsw:hep64:hsw:tests/tuning/odd-hep64.lua
          fgroup-hep64-native:hep64:native:tests/tuning/fgroup-hep64.lua
          fgroup-hep64_bn-native:hep64_bn:native:tests/tuning/fgroup-hep64.lua
          images-hep64-native:hep64:native:tests/tuning/images-hep64.lua
          images-hep64_bn-native:hep64_bn:native:tests/tuning/images-hep64.lua)
runnable skx && variants+=(avx2-code-hep64-skx:hep64:skx:tests/tuning/avx2-code-hep64.lua)
prebuild_variants "${variants[@]}"
odd_blocking() {
    local arch=$1 d=build/variants/odd-hep64-$1
    variant_built odd-hep64-$arch &&
        grep -q "Channel block B = 32 (tests/tuning/odd-hep64.lua)" $d/model.c && $d/test_layers 5
}
check "layers hep64-native, block 32, narrow chunks, few rows (batch 5)" odd_blocking native
check "layers hep64-hsw, block 32, narrow chunks, few rows (batch 5)" odd_blocking hsw
# Winograd forwards and backward-data by groups of tile rows (partial tiles
# in conv2's): on 2 threads (2 images by each thread's bands, 1 shared out),
# and 1 image on 8 threads (2 or 3 groups, 1 of them, for 8 threads: the
# groups' output blocks are cut in parts); hep64_bn's batch-norm conv pass
# by the forward's groups.
row_groups() {
    local net=$1 threads=$2 batch=$3 d=build/variants/fgroup-$1-native
    variant_built fgroup-$net-native &&
        grep -q "Winograd forward by groups of 3 tile rows (tests/tuning/fgroup-hep64.lua)" $d/model.c &&
        grep -q "Winograd backward-data by groups of 2 tile rows (tests/tuning/fgroup-hep64.lua)" $d/model.c &&
        OMP_NUM_THREADS=$threads $d/test_layers $batch ${4:+2e-4 $4}
}
check "layers hep64-native, Winograd forward and backward-data by groups of tile rows (batch 3)" row_groups hep64 2 3
# seed 3's dropout masks leave no pool window near a tie, so every gradient
# gets the strict tolerance (a group writing its last tile row whole, past
# the image: conv1's weight gradient 0.18 off in 4 runs of 5)
check "layers hep64-native, Winograd forward and backward-data groups cut in parts, 1 image on 8 threads, seed 3" \
    row_groups hep64 8 1 3
check "layers hep64_bn-native, Winograd groups of tile rows, batch norm's conv pass too (batch 3)" row_groups hep64_bn 2 3
check "layers hep64_bn-native, Winograd groups cut in parts, 1 image on 8 threads" row_groups hep64_bn 8 1
# Winograd forwards by groups of whole images (conv2 2, conv3 3): a batch of
# 5 ends in smaller groups in both; 1 image on 8 threads cuts the output
# blocks in parts; hep64_bn's batch-norm convs keep one image a group.
# conv2's backward-data by pairs of images: with 2 threads, a batch of 5
# gives each thread a pair and leaves one image to share out, a batch of 7
# gives each a pair and an odd image (backward_one_image).
image_groups() {
    local net=$1 threads=$2 batch=$3 d=build/variants/images-$1-native header
    shift 3
    variant_built images-$net-native || return 1
    for header in "$@"; do grep -q "Winograd $header" $d/model.c || return 1; done
    OMP_NUM_THREADS=$threads $d/test_layers $batch
}
check "layers hep64-native, Winograd forward by groups of 2 and 3 whole images (batch 5)" \
    image_groups hep64 2 5 "forward by groups of 3 whole images (tests/tuning/images-hep64.lua)"
check "layers hep64-native, Winograd forward by groups of whole images cut in parts, 1 image on 8 threads" \
    image_groups hep64 8 1 "forward by groups of 2 whole images (tests/tuning/images-hep64.lua)"
check "layers hep64-native, Winograd backward-data by pairs of images, a thread's odd image alone (batch 7)" \
    image_groups hep64 2 7 "backward-data by groups of 2 whole images (tests/tuning/images-hep64.lua)"
check "layers hep64_bn-native, a batch-norm conv keeps one image a Winograd forward and backward-data group (batch 3)" \
    image_groups hep64_bn 2 3 "forward by groups of 4 tile rows (tests/tuning/images-hep64.lua; one image: batch norm)" \
    "backward-data by groups of 4 tile rows (tests/tuning/images-hep64.lua; one image: batch norm)"
# make variant's libraries compared in one process (tools/ab_models.c), on
# the two hep64 builds above: a least/median pair per build for every layer
# and pass and the step, in one table; a build of another network refused
ab_models() {
    local a=build/variants/odd-hep64-native b=build/variants/fgroup-hep64-native out
    out=$(OMP_NUM_THREADS=2 build/ab_models 2 2 $a $b) || return 1
    printf '%s\n' "$out"
    local layers; layers=$(grep -cE '^(conv[123]|flatten1|fc[12]|softmax_xent1) +(forward|backward-data|backward-weights) ' <<<"$out")
    [ "$layers" -eq 21 ] && grep -qE "^hep64: 2 builds, batch 2, 2 steps each" <<<"$out" &&
        grep -qE '^step +all +[0-9]+\.[0-9]+/[0-9.]+ +[0-9]+\.[0-9]+/[0-9.]+ *$' <<<"$out" &&
        grep -qE "^layer +pass +$a +$b" <<<"$out" || return 1
    expect_fail "ab_models: build/variants/fgroup-hep64_bn-native holds another network than $a" \
        build/ab_models 2 1 $a build/variants/fgroup-hep64_bn-native &&
        expect_fail "ab_models: cannot load build/variants/none/model.so" build/ab_models 2 1 $a build/variants/none
}
check "ab_models: two hep64 builds in one process, a least/median per build for each of 21 layer passes and the step" ab_models
# AVX2 code for the Winograd backward-weights products of an AVX-512 arch:
# the first line of test_layers names libxsmm's target, which must be skx's
# again after those kernels were made
avx2_code() {
    local d=build/variants/avx2-code-hep64-skx
    variant_built avx2-code-hep64-skx &&
        grep -q "products as AVX2 code (tests/tuning/avx2-code-hep64.lua)" $d/model.c || return 1
    local out; out=$($d/test_layers 9); local rc=$?
    printf '%s\n' "$out"
    [ $rc -eq 0 ] && grep -q "libxsmm target skx)" <<<"$out"
}
arch_check "layers hep64-skx, Winograd backward-weights as AVX2 code (batch 9)" skx avx2_code
