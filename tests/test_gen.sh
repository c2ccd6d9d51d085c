# Generator tests (sourced by tests/run.sh): determinism, the generated
# header, and every bad network file gives file:line: layer: message and
# writes nothing.
echo "== generator"
check "gen: luacheck finds nothing in gen/" luacheck gen

gen_twice_identical() {
    local net=$1 a=$LOGDIR/gen-a b=$LOGDIR/gen-b
    rm -rf "$a" "$b"; mkdir -p "$a" "$b"
    lua5.4 gen/main.lua "networks/$net.lua" skx "$a" && lua5.4 gen/main.lua "networks/$net.lua" skx "$b" || return 1
    cmp "$a/model.c" "$b/model.c" && cmp "$a/model.h" "$b/model.h" || return 1
    head -5 "$a/model.c"
    grep -q "DO NOT EDIT" "$a/model.c" && grep -q "Network: networks/$net.lua" "$a/model.c" &&
        grep -q "arch: skx" "$a/model.c" && grep -q "gen/main.lua [0-9]" "$a/model.c"
}
for net in hep64 hep224; do
    check "gen deterministic, headed: $net" gen_twice_identical $net
done

# bad_network FILE EXPECTED: non-zero exit, message with the file:line prefix
# and the expected text, and no output file in the target folder.
bad_network() {
    local file=$1 expected=$2 out=$LOGDIR/gen-bad
    rm -rf "$out"; mkdir -p "$out"
    expect_fail "$expected" lua5.4 gen/main.lua "$file" "${3:-native}" "$out" || return 1
    if [ -n "$(ls -A "$out")" ]; then echo "files were written: $(ls "$out")"; return 1; fi
}
B=tests/nets/bad
check "gen bad: unknown layer"    bad_network $B/unknown_layer.lua  "$B/unknown_layer.lua:5: unknown layer kind or name 'layernorm' (layers: avgpool, batchnorm, "
check "gen bad: unknown key"      bad_network $B/unknown_key.lua    "$B/unknown_key.lua:4: layer conv1: unknown key 'kernel' for conv (known: algorithm, filters, name"
check "gen bad: missing field"    bad_network $B/missing_field.lua  "$B/missing_field.lua:4: layer first: missing required key 'filters'"
check "gen bad: pool on odd size" bad_network $B/odd_pool.lua       "$B/odd_pool.lua:6: layer maxpool3: 2x2 max-pool on an odd size 3x3"
# the smallest channel block is the arch's; native's table follows the host's
# ISA, so these check the named archs, whose tables are fixed
check "gen bad: impossible filters (skx)" bad_network $B/bad_filters.lua \
    "$B/bad_filters.lua:4: layer conv1: filters = 100 must be a multiple of 16 (arch skx channel blocks: 64, 32, 16)" skx
check "gen bad: impossible filters (hsw)" bad_network $B/bad_filters.lua \
    "$B/bad_filters.lua:4: layer conv1: filters = 100 must be a multiple of 8 (arch hsw channel blocks: 32, 64, 16, 8)" hsw
# (both were a Lua traceback: hsw's block 8 reached a max-pooled conv)
check "gen bad: a max-pooled conv's filters not a multiple of 16 (hsw)" bad_network $B/pool_filters.lua \
    "$B/pool_filters.lua:6: layer conv1: filters = 24 must be a multiple of 16, as its max-pool needs (its mask takes channels 16 at a time) (arch hsw channel blocks: 32, 64, 16, 8)" hsw
check "gen bad: no channel block fits every conv (hsw)" bad_network $B/no_common_block.lua \
    "$B/no_common_block.lua: no channel block of arch hsw (32, 64, 16, 8) fits every conv; the blocks each fits: conv1 (48 filters, max-pooled): 16; conv2 (40 filters): 8" hsw
check "gen bad: filter size"      bad_network $B/bad_size.lua       "$B/bad_size.lua:4: layer conv1: 'size' = 5 is not supported"
check "gen bad: no loss"          bad_network $B/no_loss.lua        "$B/no_loss.lua:5: layer logits: expected dense {units=K} followed by softmax_xent {}"
check "gen bad: one class"        bad_network $B/one_class.lua      "$B/one_class.lua:5: layer loss: the classifier logits has 1 unit(s)"
check "gen bad: misplaced batchnorm" bad_network $B/misplaced_batchnorm.lua "$B/misplaced_batchnorm.lua:5: layer batchnorm1: batchnorm must directly follow a conv"
check "gen bad: batchnorm keys"   bad_network $B/batchnorm_momentum.lua "$B/batchnorm_momentum.lua:4: layer batchnorm1: 'momentum' must be a number in (0, 1]"
check "gen bad: winograd on the first conv" bad_network $B/winograd_first.lua "$B/winograd_first.lua:4: layer conv1: algorithm \"winograd2\" needs a conv that is not the first"
check "gen bad: unknown algorithm" bad_network $B/unknown_algorithm.lua "$B/unknown_algorithm.lua:6: layer conv2: 'algorithm' = \"fft\" is not one of \"auto\""
check "gen bad: unknown algorithm, every algorithm listed" bad_network $B/unknown_algorithm.lua \
    "\"direct\", \"winograd2\" (Winograd F(2x2,3x3)), \"winograd4\" (F(4x4,3x3)), \"winograd6\" (F(6x6,3x3)), \"winograd8\" (F(8x8,3x3))"
check "gen bad: misplaced relu"   bad_network $B/misplaced_relu.lua "$B/misplaced_relu.lua:5: layer relu1: relu must directly follow a conv"
check "gen bad: negative units"   bad_network $B/negative_units.lua "$B/negative_units.lua:5: layer hidden: 'units' must be a positive integer, got -4"
check "gen bad: Lua syntax error" bad_network $B/syntax_error.lua   "$B/syntax_error.lua:4:"
check "gen bad: unknown arch"     bad_network networks/hep64.lua    "gen: unknown arch 'avx9'" avx9
# found by mutating the network files (each was a Lua traceback or a hang)
check "make bad: a network without a file lists those there are" expect_fail \
    "make: no network file networks/hep65.lua (have: hep224 " make --no-print-directory NET=hep65
check "make bad: an empty NET names what to give" expect_fail \
    "NET is empty: name a network file, networks/NET.lua (have: hep224 " make --no-print-directory NET=
check "make bad: an unknown ARCH lists the archs" expect_fail \
    "ARCH=avx512 is not one of: knl hsw skx native" make --no-print-directory ARCH=avx512
check "gen bad: units not a number" bad_network $B/units_table.lua "$B/units_table.lua:5: layer logits: 'units' must be a positive integer, got a table"
check "gen bad: value without a key" bad_network $B/positional.lua "$B/positional.lua:4: layer conv1: 16 without a key: write conv { key = value, ... }"
check "gen bad: list containing itself" bad_network $B/cycle.lua   "$B/cycle.lua:3: network: a list of layers contains itself"
# A runaway network file is stopped by whichever limit it reaches first.
# endless.lua's small tables reach 256 MiB in about the 5 s the time limit
# gives (on a Zen 3 VM one CI run stopped it by memory, the next by time),
# so either stop passes for it; memory_hog.lua (under a second) and
# busy_loop.lua (nothing allocated) check each limit's own message.
endless_loop() {
    local text rc
    text=$(bad_network "$B/endless.lua" "$B/endless.lua: the network file "); rc=$?
    printf '%s\n' "$text"
    [ $rc -eq 0 ] && grep -qE "the network file (used more than 256 MiB of memory|ran for more than 5 s \(an endless loop\?\))$" <<<"$text"
}
check "gen bad: endless loop stops (by the memory or the time limit)" endless_loop
check "gen bad: a file that grows memory stops at 256 MiB" bad_network $B/memory_hog.lua \
    "$B/memory_hog.lua: the network file used more than 256 MiB of memory"
check "gen bad: a loop that allocates nothing stops after 5 s" bad_network $B/busy_loop.lua \
    "$B/busy_loop.lua: the network file ran for more than 5 s (an endless loop?)"
check "gen bad: image too large"   bad_network $B/too_large.lua    "$B/too_large.lua:3: layer input1: 'height' = 100000 is larger than the generator supports (8192)"

# ARCH=native takes the blocking of the ISA the compiler sees for
# -march=native, and on AVX-512 skx's tuning flags (gen/arch.lua): a wrapper
# compiler stands in for an AVX-512 and an AVX2-only machine, whatever this
# one is. (hep224: the tuning files' arch-wide blocks, 64 in skx.lua and 32
# in hsw.lua; HEPCNN_TUNING_HOST=none keeps this host's own section out.)
native_by_isa() {
    local d=$LOGDIR/gen-native want march flags
    for spec in "skylake-avx512|AVX-512: skx's blocking|64|-march=native -mtune=skylake-avx512 -mprefer-vector-width=512" \
                "znver3|AVX2: hsw's blocking|32|-march=native -mtune=native"; do
        IFS='|' read -r march want block flags <<<"$spec"
        rm -rf "$d"; mkdir -p "$d"
        printf '#!/bin/sh\nexec cc $(echo "$@" | sed "s/-march=native/-march=%s/")\n' "$march" > "$d/cc"
        chmod +x "$d/cc"
        HEPCNN_TUNING_HOST=none CC="$d/cc" lua5.4 gen/main.lua networks/hep224.lua native "$d" || return 1
        head -2 "$d/model.c" | tail -1
        grep -q "arch: native (the build machine (-march=native), $want)" "$d/model.c" &&
            grep -q "Channel block B = $block (" "$d/model.c" &&
            grep -q -- "-ffp-contract=fast $flags -Iruntime" "$d/model.c" &&
            [ "$(CC="$d/cc" lua5.4 gen/main.lua --cflags native)" = "$flags" ] ||
            { echo "expected $want, B = $block, $flags"; return 1; }
    done
}
# Who chose each conv's algorithm: the cost model by default (F(8x8) where
# it makes whole tiles at least 4 wide: hep224's conv2 and conv3 at 112x112
# and 56x56; else the largest tile that makes whole tiles, F(4x4) at 28x28
# and F(2x2) at 14x14, or F(6x6) where it does 15% fewer products on a
# layer 8 tiles wide: hep64's conv2 on a 120x120 input, at 60x60; direct
# for the first conv), the network file when it says so; model.c's header
# names it per pass. (knl, under a tuning file with no entries: the cost
# model's choices, whatever tuning/knl.lua holds for this host.)
algorithm_named() {
    local d=$LOGDIR/gen-algo
    rm -rf "$d"; mkdir -p "$d/a" "$d/b" "$d/c"
    sed 's/height = 64, width = 64/height = 120, width = 120/' networks/hep64.lua > "$d/hep120.lua"
    echo 'return { arch = "knl" }' > "$d/none.lua"
    lua5.4 gen/main.lua networks/hep224.lua knl "$d/a" --tuning="$d/none.lua" &&
        lua5.4 gen/main.lua tests/nets/hep224_direct.lua knl "$d/b" --tuning="$d/none.lua" &&
        lua5.4 gen/main.lua "$d/hep120.lua" knl "$d/c" --tuning="$d/none.lua" || return 1
    grep -A6 "^ \* Algorithm per conv" "$d/a/model.c" "$d/b/model.c" "$d/c/model.c"
    grep -q "conv1    direct     direct     direct     (cost model: no Winograd tile fits)" "$d/a/model.c" &&
        grep -q "conv2    winograd8  winograd8  winograd8  (cost model)" "$d/a/model.c" &&
        grep -q "conv3    winograd8  winograd8  winograd8  (cost model)" "$d/a/model.c" &&
        grep -q "conv4    winograd4  winograd4  winograd4  (cost model)" "$d/a/model.c" &&
        grep -q "conv5    winograd2  winograd2  winograd2  (cost model)" "$d/a/model.c" &&
        grep -q "conv2    winograd6  winograd6  winograd6  (cost model)" "$d/c/model.c" &&
        grep -q "conv3    direct     direct     direct     (tests/nets/hep224_direct.lua:6)" "$d/b/model.c" &&
        grep -q "conv5 Winograd products" "$d/a/model.c" && ! grep -q "_wino_" "$d/b/model.c"
}
check "gen: each conv pass's algorithm and who chose it in model.c's header" algorithm_named

check "gen: native takes the blocking of the ISA the compiler sees (AVX-512, AVX2)" native_by_isa

# Dense backward-data packs each call's weight rows (gen/layers/dense.lua)
# on every arch unless a tuning entry says otherwise (tested with none): hep64's fc1 (the first
# dense layer, its input gradient image-major) into a contiguous [512][128]
# block, fc2 (TRANS_B, 512-input calls) into rows 528 floats apart; in place
# fc1's rows lie 8192 floats apart, fc2's 512.
# gen_each_arch NET DIR: NET's model for hsw, knl and skx into DIR/<arch>, from the
# tuning files' arch-wide entries (whatever host this is).
gen_each_arch() {
    local arch
    for arch in hsw knl skx; do
        rm -rf "$2/$arch"; mkdir -p "$2/$arch"
        HEPCNN_TUNING_HOST=none lua5.4 gen/main.lua "networks/$1.lua" $arch "$2/$arch" >/dev/null || return 1
    done
}
dense_packing() {
    local d=$LOGDIR/gen-pack arch
    for arch in hsw knl skx; do   # no tuning entries: the defaults
        rm -rf "$d/$arch"; mkdir -p "$d/$arch"
        echo "return { arch = \"$arch\", networks = {}, convs = {} }" > "$d/$arch.lua"
        lua5.4 gen/main.lua networks/hep64.lua $arch "$d/$arch" --tuning="$d/$arch.lua" >/dev/null || return 1
    done
    grep -A1 "fc[12] backward-data: " "$d"/*/model.c | grep "ld"
    for arch in hsw knl skx; do
        grep -A1 "fc1 backward-data: m=128 n=batch k=512, image-major, packed \*/" "$d/$arch/model.c" |
            grep -q "lda = 128, ldb = 512, ldc = 8192;" &&
            grep -q "memcpy(pack + (size_t)o \* MD, weight" "$d/$arch/model.c" &&
            grep -A1 "fc2 backward-data: .*, packed \*/" "$d/$arch/model.c" | grep -q "ldb = 528," &&
            grep -q "memcpy(pack + (size_t)o \* 528, weight" "$d/$arch/model.c" || { echo "$arch: not packed"; return 1; }
        ! grep -q "reads its weight in place" "$d/$arch/model.c" || { echo "$arch: fc1 read in place"; return 1; }
    done
}
check "gen: dense backward-data packs its weight rows on every arch" dense_packing

# The first conv's backward-weights runs from the input patches (one call of
# n = 27 per block) on knl and skx code, and tap by tap (n = 3) on hsw code.
first_conv_patches() {
    local d=$LOGDIR/gen-patches arch
    gen_each_arch hep224 "$d" || return 1
    grep -h -A0 "conv1 backward-weights: " "$d"/*/model.c | grep "{"
    for arch in knl skx; do
        grep -q "conv1 backward-weights: m=64 n=27 k=224, from the input patches" "$d/$arch/model.c" &&
            grep -q "conv1_input_patches(in, y, patch);" "$d/$arch/model.c" &&
            grep -q "conv1_weight_grad_band(.*, t->patch);" "$d/$arch/model.c" || { echo "$arch: no patches"; return 1; }
    done
    grep -q "conv1 backward-weights: m=32 n=3 k=224" "$d/hsw/model.c" && ! grep -q "conv1_input_patches" "$d/hsw/model.c"
}
check "gen: the first conv's backward-weights reads input patches on knl and skx code only" first_conv_patches

echo "== tuning (make tune and tuning files)"
check "tune: the choice rule takes a faster value only past the margin" lua5.4 tests/tune_plan_test.lua
check "tune: a host's choices go to its section (arch-wide only where absent); a build takes its host's section" \
    lua5.4 tests/tuning_test.lua
# make tune's and make bench's record of the CPU: the model name, then the
# family and model numbers and the widest vector ISA, as /proc/cpuinfo has them.
cpu_line_named() {
    local line want=AVX-512 family
    line=$(sh bench/cpu_line.sh); echo "$line"
    grep -qw avx512f /proc/cpuinfo || want="AVX2, no AVX-512"
    grep -qw avx2 /proc/cpuinfo || grep -qw avx512f /proc/cpuinfo || want="no AVX2"
    family=$(sed -n 's/^cpu family[^:]*: //p' /proc/cpuinfo | head -1)
    [[ $line == *", family $family model "[0-9]*", $want" ]]
}
check "tune: the host line names the CPU's family, model and widest ISA" cpu_line_named

# A tuning file's values are used, and the header says where each came from.
tuning_used() {
    local d=$LOGDIR/gen-tuned
    rm -rf "$d"; mkdir -p "$d"
    lua5.4 gen/main.lua networks/hep64.lua skx "$d" --tuning=tests/tuning/odd-hep64.lua || return 1
    grep -E "Channel block|width chunk" "$d/model.c"
    grep -q "Channel block B = 32 (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -q "conv2    width chunk 8   (tests/tuning/odd-hep64.lua), backward rows 4   (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -q "Winograd backward-weights groups of 1 tile rows (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -q "rows per backward-weights call 1 (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -q "conv3 backward-weights: m=32 n=32 k=16, 1 row per call" "$d/model.c" &&
        grep -q "conv2    winograd4  direct     winograd4  (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -q "conv3    direct     winograd2  direct     (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -qF "fc1      forward inputs per call 1024 (tests/tuning/odd-hep64.lua), backward-data reads its weight in place (tests/tuning/odd-hep64.lua)" "$d/model.c" &&
        grep -q "enum { IN = 8192, OUT = 512, OB = 64, KC = 1024, ON = 64, LDW = 8208 };" "$d/model.c" &&
        grep -q "fc1_fwd = libxsmm_smmdispatch(batch, 64, 1024, " "$d/model.c" &&
        grep -A1 "fc1 backward-data: m=128 n=batch k=512, image-major, weight in place \*/" "$d/model.c" |
            grep -q "lda = 8208, ldb = 512, ldc = 8192;"
}
check "tune: a tuning file's blocking and algorithms are used and named in model.c's header" tuning_used
# A dense weight's rows lie an odd number of cache lines apart inside (8208
# floats for 8192 inputs, 528 for 512, 16 for 8, none added for 16): the tensor table
# gives both orders' offsets and sizes, the conversions copy row by row, and
# every GEMM that reads or writes the weight takes that leading dimension.
dense_rows_padded() {
    local d=$LOGDIR/gen-padded
    rm -rf "$d"; mkdir -p "$d/hep64" "$d/tiny"
    echo 'return { arch = "skx", networks = {}, convs = {} }' > "$d/skx.lua"   # no entries: the same on every host
    lua5.4 gen/main.lua networks/hep64.lua skx "$d/hep64" --tuning="$d/skx.lua" >/dev/null &&
        lua5.4 gen/main.lua tests/nets/tiny_avgpool.lua skx "$d/tiny" --tuning="$d/skx.lua" >/dev/null || return 1
    local c=$d/hep64/model.c
    grep -E "fc[12]/weight|params, grads|hep_copy_rows|LDW = " "$c"
    grep -qF '{ "fc1/weight", 0, 2, { 512, 8192 }, 298752, 4194304, 8192, 298752, 4202496 },' "$c" &&
        grep -qF '{ "fc1/bias", 1, 1, { 512 }, 4493056, 512, 8192, 4501248, 512 },' "$c" &&
        grep -qF '{ "fc2/weight", 0, 2, { 2, 512 }, 4493568, 1024, 512, 4501760, 1056 },' "$c" &&
        grep -qF "[4502818] each (4494594 parameters, dense weight rows padded)" "$c" &&
        grep -qF ".num_params = 4494594," "$c" && grep -qF ".num_internal = 4502818," "$c" &&
        grep -qF "hep_copy_rows(plain + 298752, 8192, internal + 298752, 8208, 512, 8192);" "$c" &&
        grep -qF "hep_copy_rows(internal + 4501760, 528, plain + 4493568, 512, 2, 512);" "$c" &&
        grep -A1 "fc1 forward: m=batch n=64 k=512 \*/" "$c" | grep -q "ldb = 8208," &&
        grep -A1 "fc1 backward-weights: m=128 n=512 k=batch, streaming stores \*/" "$c" | grep -q "ldc = 8208;" &&
        grep -A1 "fc2 forward: m=batch n=2 k=512 \*/" "$c" | grep -q "ldb = 528," &&
        grep -q "hooks.ready(m->hooks.ctx, 298752, 4203008);" "$c" &&
        grep -qF '{ "d1/weight", 0, 2, { 8, 16 }, 5088, 128, 16, 5088, 128 },' "$d/tiny/model.c" &&
        grep -qF '{ "d2/weight", 0, 2, { 3, 8 }, 5224, 24, 8, 5224, 48 },' "$d/tiny/model.c"
}
check "gen: dense weights' rows padded inside, both orders' offsets in the tensor table, every GEMM's leading dimension" dense_rows_padded
# With no tuning entries, AVX2 code's direct backward-weights calls take the
# fewest rows that reach 56 pixels within 16 KiB of output gradient
# (gen/arch.lua bwd_weight_call_pixels), the first conv its whole band; the
# AVX-512 tables the whole band everywhere.
default_call_rows() {
    local d=$LOGDIR/gen-call-rows
    rm -rf "$d"; mkdir -p "$d"
    for arch in hsw skx; do
        echo "return { arch = \"$arch\", networks = {}, convs = {} }" > "$d/$arch.lua"   # no entries: the defaults
        for net in hep64_direct hep224_direct; do
            mkdir -p "$d/$net-$arch"
            lua5.4 gen/main.lua "tests/nets/$net.lua" $arch "$d/$net-$arch" --tuning="$d/$arch.lua" >/dev/null || return 1
        done
    done
    rows() {   # "convN:rows " for each backward-weights kernel of build $1
        sed -n 's/.*\/\* \(conv[0-9]\) backward-weights: m=[0-9]* n=[0-9]* k=[0-9]*.*, \([0-9]*\) rows\{0,1\} per call \*\/.*/\1:\2/p' "$d/$1/model.c" | tr '\n' ' '
    }
    echo "hsw: $(rows hep64_direct-hsw)$(rows hep224_direct-hsw)"
    echo "skx: $(rows hep64_direct-skx)$(rows hep224_direct-skx)"
    [ "$(rows hep64_direct-hsw)" = "conv1:8 conv2:2 conv3:4 " ] &&
        [ "$(rows hep224_direct-hsw)" = "conv1:8 conv2:1 conv3:1 conv4:2 conv5:7 " ] &&
        [ "$(rows hep64_direct-skx)" = "conv1:8 conv2:8 conv3:16 " ] &&
        [ "$(rows hep224_direct-skx)" = "conv1:8 conv2:8 conv3:8 conv4:14 conv5:14 " ]
}
check "gen: AVX2 direct backward-weights calls reduce over the fewest rows reaching 56 pixels" default_call_rows
# Mutated network files (numbers, lines, keys and kinds changed): each is
# generated, or refused with a message naming it and nothing written; never
# a traceback or a hang. Seed 3's mutations include a network named hep64
# whose filters no channel block divides, under tuning/skx.lua.
check "gen: 300 mutated network files are generated or refused with a message naming the file" \
    python3 tests/fuzz/mutate_networks.py 300 3
# A user who edits a network after `make tune` (hep64 with 96 filters: a
# tuned block of 64 does not divide them) still builds: the tuning file's
# block gives way to the default, the header says why and the generator
# prints a note naming the tuning file, the layer and the command that
# measures again.
tuning_block_stale() {
    local d=$LOGDIR/gen-stale-block out
    rm -rf "$d"; mkdir -p "$d/out"
    sed 's/filters = 128/filters = 96/' networks/hep64.lua > "$d/hep64.lua"
    printf 'return { arch = "skx", networks = { hep64 = { block = 64, why = "make tune" } } }\n' > "$d/skx.lua"
    out=$(HEPCNN_TUNING_HOST=none lua5.4 gen/main.lua "$d/hep64.lua" skx "$d/out" --tuning="$d/skx.lua" 2>&1) ||
        { echo "$out"; return 1; }
    echo "$out"; grep "Channel block" "$d/out/model.c"
    grep -qF 'gen: note: '"$d"'/skx.lua: networks["hep64"].block = 64 does not divide the 96 filters of layer conv1 ('"$d"'/hep64.lua:8)' <<<"$out" &&
        grep -qF 'make tune NET=hep64 ARCH=skx measures again' <<<"$out" &&
        grep -qF "Channel block B = 32 (default; $d/skx.lua's block 64 does not divide conv1's filters)" "$d/out/model.c"
}
check "tune: a tuning file's block that an edited network's filters no longer take gives way to the default" tuning_block_stale
# A network the tuning file names no block for (hep64_4class: hep64's convs,
# another head) takes the block of the entries that cover its convs, the
# build host's section before the arch-wide entries even where these cover
# more; a network file that names its convs' algorithms (hep64_wino) is no
# copy of what was measured, and keeps the default block.
tuning_block_covered() {
    local d=$LOGDIR/gen-covered-block
    rm -rf "$d"; mkdir -p "$d/a" "$d/b" "$d/c"
    printf '%s\n' 'return { arch = "skx",' \
        '  convs = { ["B64 first 3x64x64->128 pool"] = { wc = 16, bwr = 8 }, ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8 },' \
        '            ["B64 128x16x16->128 pool"] = { wc = 16, bwr = 16 } },' \
        '  hosts = { ["Test family 1 model 1"] = { convs = { ["B32 128x32x32->128 pool"] = { wc = 8, bwr = 8 },' \
        '                                                   ["B32 128x16x16->128 pool"] = { wc = 8, bwr = 16 } } } } }' > "$d/skx.lua"
    HEPCNN_TUNING_HOST="Test family 1 model 1" lua5.4 gen/main.lua networks/hep64_4class.lua skx "$d/a" --tuning="$d/skx.lua" &&
        HEPCNN_TUNING_HOST="Other family 2 model 2" lua5.4 gen/main.lua networks/hep64_4class.lua skx "$d/b" --tuning="$d/skx.lua" &&
        HEPCNN_TUNING_HOST="Test family 1 model 1" lua5.4 gen/main.lua tests/nets/hep64_wino.lua skx "$d/c" --tuning="$d/skx.lua" ||
        return 1
    grep -h "Channel block\|conv2    width" "$d"/[abc]/model.c
    grep -qF "Channel block B = 32 (the block of $d/skx.lua hosts[\"Test family 1 model 1\"]'s entries for its convs)" "$d/a/model.c" &&
        grep -qF "conv2    width chunk 8   ($d/skx.lua hosts[\"Test family 1 model 1\"])" "$d/a/model.c" &&
        grep -qF "Channel block B = 64 (the block of $d/skx.lua's entries for its convs)" "$d/b/model.c" &&
        grep -qF "Channel block B = 64 (default)" "$d/c/model.c"
}
check "tune: a network the tuning file names no block for takes the block of the entries covering its convs, the host's first" tuning_block_covered
# ... and where the file names the block of a network whose convs are the
# same (hep64 for hep64_4class), that block, though other entries cover
# them too (a block that lost a later tune keeps its entries)
tuning_block_copied() {
    local d=$LOGDIR/gen-copied-block
    rm -rf "$d"; mkdir -p "$d/a" "$d/b"
    printf '%s\n' 'return { arch = "skx", networks = { hep64 = { block = 32 } },' \
        '  convs = { ["B64 first 3x64x64->128 pool"] = { wc = 16, bwr = 8 }, ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8 },' \
        '            ["B64 128x16x16->128 pool"] = { wc = 16, bwr = 16 } } }' > "$d/skx.lua"
    HEPCNN_TUNING_HOST=none lua5.4 gen/main.lua networks/hep64_4class.lua skx "$d/a" --tuning="$d/skx.lua" &&
        HEPCNN_TUNING_HOST=none lua5.4 gen/main.lua tests/nets/hep64_wino.lua skx "$d/b" --tuning="$d/skx.lua" || return 1
    grep -h "Channel block" "$d"/[ab]/model.c
    grep -qF "Channel block B = 32 ($d/skx.lua's block for hep64, whose convs these are)" "$d/a/model.c" &&
        grep -qF "Channel block B = 64 (default)" "$d/b/model.c"
}
check "tune: a network the tuning file names no block for takes the block of a tuned network with the same convs" tuning_block_copied
# An entry's Winograd group goes with the entry's algorithm: a network file
# that names its own (hep64_direct: every conv direct) keeps the entry's
# width chunk and rows and leaves its group alone.
tuning_group_not_forced() {
    local d=$LOGDIR/gen-tuned-forced
    rm -rf "$d"; mkdir -p "$d"
    printf '%s\n' 'return { convs = { ["B64 128x32x32->128 pool"] = { wc = 8, bwr = 4, wg = 1,' \
        '  forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" } } }' > "$d/t.lua"
    lua5.4 gen/main.lua tests/nets/hep64_direct.lua skx "$d" --tuning="$d/t.lua" || return 1
    grep -E "conv2 " "$d/model.c"
    grep -q "conv2    width chunk 8   ($d/t.lua), backward rows 4   ($d/t.lua)" "$d/model.c" &&
        grep -q "conv2    direct     direct     direct     (tests/nets/hep64_direct.lua:" "$d/model.c" &&
        ! grep -q "Winograd backward-weights groups" "$d/model.c"
}
check "tune: a network file's own algorithm leaves the tuning entry's Winograd group unused" tuning_group_not_forced
# A group of whole images: named in the header, its scratch in the plan
tuning_group_images() {
    local d=$LOGDIR/gen-tuned-images
    rm -rf "$d"; mkdir -p "$d"
    printf '%s\n' 'return { convs = { ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8, wg = 16, bwd_w_code = "avx2",
        forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" } } }' > "$d/t.lua"
    lua5.4 gen/main.lua networks/hep64.lua skx "$d" --tuning="$d/t.lua" || return 1
    grep -E "groups of|wgroup [0-9]|set_target_arch\(\"" "$d/model.c"
    grep -q "Winograd backward-weights groups of 16 tile rows, 2 images ($d/t.lua), products as AVX2 code ($d/t.lua)" "$d/model.c" &&
        grep -q 'libxsmm_set_target_arch("hsw");' "$d/model.c" &&
        grep -q "The thread's images go in groups of 2 (128 tiles)" "$d/model.c" &&
        grep -Eq "wino [0-9]+, wgroup [1-9][0-9]*, wgrad" "$d/model.c"
}
check "tune: a Winograd group of whole images and AVX2 products are named in model.c, the group has scratch of its own" tuning_group_images
# Winograd forward and backward-data groups: named in the header, each with
# a product kernel over its tiles. conv2's entry gives both; conv3's keeps
# single tile rows in forward (wfg = 1, what make tune writes where it
# timed them faster) and leaves backward-data to the default: its 4 tile
# rows of 4 tiles, the whole image (gen/shapes.lua's default_row_group)
tuning_forward_group() {
    local d=$LOGDIR/gen-tuned-fgroup
    rm -rf "$d"; mkdir -p "$d"
    printf '%s\n' 'return { convs = { ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8, wfg = 4, wdg = 2 },' \
        '["B64 128x16x16->128 pool"] = { wc = 16, bwr = 16, wfg = 1 } } }' > "$d/t.lua"
    lua5.4 gen/main.lua networks/hep64.lua skx "$d" --tuning="$d/t.lua" || return 1
    grep -E "Winograd (forward|backward-data) by|over a group of" "$d/model.c"
    grep -q "Winograd forward by groups of 4 tile rows ($d/t.lua)" "$d/model.c" &&
        grep -q "Winograd backward-data by groups of 2 tile rows ($d/t.lua)" "$d/model.c" &&
        grep -q "Winograd forward by tile rows ($d/t.lua)" "$d/model.c" &&
        grep -q "Winograd backward-data by groups of 4 tile rows (default)" "$d/model.c" &&
        grep -q 'libxsmm_smmdispatch_reducebatch_strd(64, 16, 64, 16384, 4096,' "$d/model.c" &&
        grep -q 'conv2_wino_data_group = libxsmm_smmdispatch_reducebatch_strd(64, 8, 64, 16384, 2048,' "$d/model.c" &&
        grep -q 'conv3_wino_data_group = libxsmm_smmdispatch_reducebatch_strd(64, 16, 64, 16384, 4096,' "$d/model.c" &&
        ! grep -q 'conv3_wino_group = ' "$d/model.c"
}
check "tune: Winograd forward and backward-data groups are named in model.c, their products take 16 and 8 tiles; an entry's wfg = 1 keeps single rows, a missing wdg takes the default" tuning_forward_group

# Backward-data by pairs of whole images (wdg twice the tile rows): hep64
# takes its images in pairs, with a per-thread area for the second image;
# in a network whose other convs have batch norm (tests/nets/hep64_partbn:
# its backward goes layer by layer, each image alone) the same entry keeps
# one image and no area
tuning_data_pairs() {
    local d=$LOGDIR/gen-tuned-pairs
    rm -rf "$d"; mkdir -p "$d/plain" "$d/bn"
    printf '%s\n' 'return { convs = { ["B64 128x32x32->128 pool"] = { wdg = 8 } } }' > "$d/t.lua"
    lua5.4 gen/main.lua networks/hep64.lua skx "$d/plain" --tuning="$d/t.lua" &&
        lua5.4 gen/main.lua tests/nets/hep64_partbn.lua skx "$d/bn" --tuning="$d/t.lua" || return 1
    grep -E "Winograd backward-data by|per thread " "$d/plain/model.c" "$d/bn/model.c"
    grep -q "Winograd backward-data by groups of 2 whole images ($d/t.lua)" "$d/plain/model.c" &&
        grep -qE "per thread .* pair [0-9]+," "$d/plain/model.c" &&
        grep -q "static void backward_image_pair" "$d/plain/model.c" &&
        grep -q "Winograd backward-data by groups of 4 tile rows ($d/t.lua; one image: the network's batch norm)" \
            "$d/bn/model.c" &&
        ! grep -qE "per thread .* pair [0-9]+," "$d/bn/model.c" && ! grep -q "_wino_data_images" "$d/bn/model.c"
}
check "tune: backward-data by pairs of images named, with its area; a network with batch norm keeps one image" tuning_data_pairs

# A network file's path goes into model.c as a C string and in comments:
# a quote and a backslash are escaped in the string (model.c compiles and
# holds the path), a "*/" that would end a comment is refused.
odd_paths() {
    local d=$LOGDIR/gen-odd-paths
    rm -rf "$d"; mkdir -p "$d/q\"b\\c" "$d/e*" "$d/out"
    cp tests/nets/tiny_avgpool.lua "$d/q\"b\\c/net.lua"
    cp tests/nets/tiny_avgpool.lua "$d/e*/net.lua"
    lua5.4 gen/main.lua "$d/q\"b\\c/net.lua" native "$d/out" || return 1
    grep -F ".network_file = \"$d/q\\\"b\\\\c/net.lua\"," "$d/out/model.c" || return 1
    gcc -std=c11 -fsyntax-only -fopenmp -Iruntime -I"$d/out" "$d/out/model.c" || return 1
    rm "$d/out/model.c"
    expect_fail "gen: the network file's path \"$d/e*/net.lua\" holds \"*/\"" \
        lua5.4 gen/main.lua "$d/e*/net.lua" native "$d/out" || return 1
    [ ! -e "$d/out/model.c" ] || { echo "model.c was written"; return 1; }
}
check "gen: a network file's path with a quote and a backslash compiles into model.c's string; one with */ is refused" odd_paths

# Host sections: the build host's entries replace the arch-wide ones, each
# named with its section in model.c's header; another host's are not used.
tuning_hosts() {
    local d=$LOGDIR/gen-tuned-hosts
    rm -rf "$d"; mkdir -p "$d"
    printf '%s\n' 'return { convs = { ["B64 128x32x32->128 pool"] = { wc = 8, bwr = 4 },' \
        '  ["B64 128x16x16->128 pool"] = { wc = 8, bwr = 4 } },' \
        '  hosts = { ["Test family 1 model 2"] = { convs = { ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8, wfg = 2 } } } } }' \
        > "$d/t.lua"
    HEPCNN_TUNING_HOST="Test family 1 model 2" lua5.4 gen/main.lua networks/hep64.lua skx "$d" --tuning="$d/t.lua" || return 1
    grep -E "^ \*   conv[23] |Winograd forward by" "$d/model.c"
    grep -qF "conv2    width chunk 16  ($d/t.lua hosts[\"Test family 1 model 2\"]), backward rows 8" "$d/model.c" &&
        grep -qF "Winograd forward by groups of 2 tile rows ($d/t.lua hosts[\"Test family 1 model 2\"])" "$d/model.c" &&
        grep -qF "conv3    width chunk 8   ($d/t.lua), backward rows 4" "$d/model.c" || return 1
    HEPCNN_TUNING_HOST="Test family 1 model 3" lua5.4 gen/main.lua networks/hep64.lua skx "$d" --tuning="$d/t.lua" &&
        grep -qF "conv2    width chunk 8   ($d/t.lua), backward rows 4" "$d/model.c"
}
check "tune: a tuning file's section for the build host's CPU replaces its arch-wide entries, another host's does not" tuning_hosts

# bad_tuning TEXT EXPECTED: the generator refuses the file, naming it and the key
bad_tuning() {
    local d=$LOGDIR/gen-badtune
    rm -rf "$d"; mkdir -p "$d"
    printf '%s\n' "$1" > "$d/t.lua"
    expect_fail "$d/t.lua${2}" lua5.4 gen/main.lua networks/hep64.lua skx "$d" --tuning="$d/t.lua" || return 1
    [ ! -e "$d/model.c" ] || { echo "model.c was written"; return 1; }
}
# bad_tuning_net EDIT EXPECTED: hep64 with filters = 128 replaced by EDIT,
# under tuning/skx.lua, is refused with EXPECTED
bad_tuning_net() {
    local d=$LOGDIR/gen-badtune-net
    rm -rf "$d"; mkdir -p "$d/out"
    sed "s/filters = 128/$1/" networks/hep64.lua > "$d/hep64.lua"
    HEPCNN_TUNING_HOST=none expect_fail "$2" lua5.4 gen/main.lua "$d/hep64.lua" skx "$d/out" --tuning=tuning/skx.lua ||
        return 1
    [ ! -e "$d/out/model.c" ] || { echo "model.c was written"; return 1; }
}
# what the generator says a conv entry must look like
ENTRY_FIELDS='expected { wc = <positive integer>, bwr = <positive integer>, bwc = <positive integer> (optional), wg = <positive integer> (optional), wfg = <positive integer> (optional), wdg = <positive integer> (optional), bwd_w_code = "avx2" (optional) }'
ENTRY_SHAPE=': convs["x"]: '"$ENTRY_FIELDS"
check "tune bad: a width chunk that does not divide the width" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wc = 5 } } }' \
    ': convs["B64 128x32x32->128 pool"].wc = 5 does not divide the width 32 of layer conv2'
check "tune bad: odd backward rows under a pool" bad_tuning \
    'return { convs = { ["B64 128x16x16->128 pool"] = { bwr = 3 } } }' \
    ': convs["B64 128x16x16->128 pool"].bwr = 3 must divide the height 16 of layer conv3 and be even (2x2 pool)'
check "tune bad: a block the arch does not offer" bad_tuning \
    'return { networks = { hep64 = { block = 48 } } }' \
    ': networks["hep64"].block = 48 must be one of arch skx'"'"'s channel blocks (64, 32, 16)'
# filters that no block divides: the network's own error, not the tuning file's
check "tune bad: filters no channel block divides, under a tuning file with a block for the network" bad_tuning_net \
    'filters = 2' 'hep64.lua:8: layer conv1: filters = 2 must be a multiple of 16 (arch skx channel blocks: 64, 32, 16)'
check "tune bad: a value of the wrong type" bad_tuning \
    'return { convs = { x = { wc = "wide" } } }' \
    "$ENTRY_SHAPE"
check "tune bad: not Lua" bad_tuning 'return {' ':2:'
check "tune bad: a dense entry's unknown backward-data reading" bad_tuning \
    'return { denses = { ["8192->512"] = { bwd_d = "sideways" } } }' \
    ': denses["8192->512"]: expected { bwd_d = "packed" or "in_place" [, kc = a whole number above 0] }'
check "tune bad: a dense entry's forward inputs per call of the wrong type" bad_tuning \
    'return { denses = { ["8192->512"] = { bwd_d = "packed", kc = 0 } } }' \
    ': denses["8192->512"]: expected { bwd_d = "packed" or "in_place" [, kc = a whole number above 0] }'
check "tune bad: a dense entry's forward inputs per call that do not divide the inputs" bad_tuning \
    'return { denses = { ["8192->512"] = { bwd_d = "packed", kc = 3000 } } }' \
    ': denses["8192->512"].kc = 3000 does not divide the 8192 inputs of layer fc1 (networks/hep64.lua:'
check "tune bad: a host section's entry of the wrong type" bad_tuning \
    'return { hosts = { ["Test family 1 model 2"] = { convs = { x = { wc = "wide" } } } } }' \
    ': hosts["Test family 1 model 2"].convs["x"]: '"$ENTRY_FIELDS"
check "tune bad: a host section that is not a table" bad_tuning \
    'return { hosts = { ["Test family 1 model 2"] = 3 } }' \
    ': hosts["Test family 1 model 2"]: expected ["<vendor> family <n> model <n>"] = { networks = ..., convs = ... }'
WHOLE_IMAGES="Winograd F(4x4) has 8 tile rows of 8 tiles (networks/hep64.lua:8); a group of more is whole images, a multiple of 8 of at most 224 tiles"
check "tune bad: a Winograd group of more than the tile rows, not whole images" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wg = 9,
        forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" } } }' \
    ': convs["B64 128x32x32->128 pool"].wg = 9: layer conv2'"'"'s '"$WHOLE_IMAGES"
check "tune bad: a Winograd group of too many whole images" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wg = 32,
        forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" } } }' \
    ': convs["B64 128x32x32->128 pool"].wg = 32: layer conv2'"'"'s '"$WHOLE_IMAGES"
check "tune bad: backward-weights code other than AVX2" bad_tuning \
    'return { convs = { x = { bwd_w_code = "avx512" } } }' \
    "$ENTRY_SHAPE"
check "tune bad: AVX2 backward-weights code for a direct backward-weights" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { bwd_w_code = "avx2", forward = "direct", backward_data = "direct", backward_weights = "direct" } } }' \
    ': convs["B64 128x32x32->128 pool"].bwd_w_code = "avx2": layer conv2 (networks/hep64.lua:8) has a direct backward-weights pass (bwd_w_code is for Winograd'"'"'s)'
# the hsw arch's code is AVX2 already
tuning_code_hsw() {
    local d=$LOGDIR/gen-badtune-hsw
    rm -rf "$d"; mkdir -p "$d"
    printf '%s\n' 'return { convs = { ["B32 128x32x32->128 pool"] = { bwd_w_code = "avx2" } } }' > "$d/t.lua"
    expect_fail "$d/t.lua: convs[\"B32 128x32x32->128 pool\"].bwd_w_code = \"avx2\": arch hsw's code is AVX2 already (bwd_w_code is for an AVX-512 arch's)" \
        lua5.4 gen/main.lua networks/hep64.lua hsw "$d" --tuning="$d/t.lua" || return 1
    [ ! -e "$d/model.c" ] || { echo "model.c was written"; return 1; }
}
check "tune bad: AVX2 backward-weights code on an AVX2 arch" tuning_code_hsw
check "tune bad: a Winograd group for a direct backward-weights" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wg = 2, forward = "direct", backward_data = "direct", backward_weights = "direct" } } }' \
    ': convs["B64 128x32x32->128 pool"].wg = 2: layer conv2 (networks/hep64.lua:8) has a direct backward-weights pass'
check "tune bad: a Winograd group of the wrong type" bad_tuning \
    'return { convs = { x = { wg = 0 } } }' \
    "$ENTRY_SHAPE"
check "tune bad: a Winograd forward group that does not divide the tile rows" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wfg = 3 } } }' \
    ': convs["B64 128x32x32->128 pool"].wfg = 3: layer conv2'"'"'s Winograd F(8x8) has 4 tile rows (networks/hep64.lua:8); wfg must divide them, or be a multiple of them (whole images) of at most 64 tiles'
check "tune bad: a Winograd forward group past one image that is not whole images" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wfg = 6 } } }' \
    ': convs["B64 128x32x32->128 pool"].wfg = 6: layer conv2'"'"'s Winograd F(8x8) has 4 tile rows (networks/hep64.lua:8); wfg must divide them, or be a multiple of them (whole images) of at most 64 tiles'
check "tune bad: a Winograd forward group of whole images past 64 tiles" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wfg = 20 } } }' \
    ': convs["B64 128x32x32->128 pool"].wfg = 20: layer conv2'"'"'s Winograd F(8x8) has 4 tile rows (networks/hep64.lua:8); wfg must divide them, or be a multiple of them (whole images) of at most 64 tiles'
check "tune bad: a Winograd forward group for a direct forward" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wfg = 2, forward = "direct", backward_data = "winograd4", backward_weights = "winograd4" } } }' \
    ': convs["B64 128x32x32->128 pool"].wfg = 2: layer conv2 (networks/hep64.lua:8) has a direct forward pass (wfg is for Winograd'"'"'s)'
check "tune bad: a Winograd forward group of the wrong type" bad_tuning \
    'return { convs = { x = { wfg = -1 } } }' "$ENTRY_SHAPE"
check "tune bad: a Winograd backward-data group that does not divide the tile rows" bad_tuning \
    'return { convs = { ["B64 128x16x16->128 pool"] = { wdg = 3, forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" } } }' \
    ': convs["B64 128x16x16->128 pool"].wdg = 3: layer conv3'"'"'s Winograd F(4x4) has 4 tile rows (networks/hep64.lua:8); wdg must divide them, or twice them (two whole images) if that is at most 64 tiles'
check "tune bad: a Winograd backward-data group of three whole images (it takes two at most)" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wdg = 12 } } }' \
    ': convs["B64 128x32x32->128 pool"].wdg = 12: layer conv2'"'"'s Winograd F(8x8) has 4 tile rows (networks/hep64.lua:8); wdg must divide them, or twice them (two whole images) if that is at most 64 tiles'
check "tune bad: a Winograd backward-data group for a direct backward-data" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { wdg = 2, forward = "winograd4", backward_data = "direct", backward_weights = "winograd4" } } }' \
    ': convs["B64 128x32x32->128 pool"].wdg = 2: layer conv2 (networks/hep64.lua:8) has a direct backward-data pass (wdg is for Winograd'"'"'s)'
check "tune bad: a Winograd backward-data group of the wrong type" bad_tuning \
    'return { convs = { x = { wdg = "2" } } }' "$ENTRY_SHAPE"
check "tune bad: backward-weights call rows that do not divide the band" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { bwr = 8, bwc = 3, forward = "direct", backward_data = "direct", backward_weights = "direct" } } }' \
    ': convs["B64 128x32x32->128 pool"].bwc = 3 must divide the backward rows 8 of layer conv2 (networks/hep64.lua:8)'
check "tune bad: backward-weights call rows for a Winograd backward-weights" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { bwc = 2 } } }' \
    ': convs["B64 128x32x32->128 pool"].bwc = 2: layer conv2 (networks/hep64.lua:8) has a Winograd backward-weights pass (bwc is for the direct one'"'"'s)'
check "tune bad: backward-weights call rows of the wrong type" bad_tuning \
    'return { convs = { x = { bwc = 1.5 } } }' \
    "$ENTRY_SHAPE"
check "tune bad: two Winograd tiles in one layer" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { forward = "winograd4", backward_data = "winograd2", backward_weights = "direct" } } }' \
    ': convs["B64 128x32x32->128 pool"].backward_data = "winograd2": layer conv2 (networks/hep64.lua:8) cannot take it (one Winograd tile per layer)'
check "tune bad: Winograd on the first conv" bad_tuning \
    'return { convs = { ["B64 first 3x64x64->128 pool"] = { forward = "winograd2", backward_data = "direct", backward_weights = "direct" } } }' \
    ': convs["B64 first 3x64x64->128 pool"].forward = "winograd2": layer conv1 (networks/hep64.lua:8) cannot take it'
check "tune bad: an unknown algorithm" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { forward = "fft", backward_data = "direct", backward_weights = "direct" } } }' \
    ': convs["B64 128x32x32->128 pool"].forward = "fft" is not "direct", "winograd2", "winograd4", "winograd6" or "winograd8"'
check "tune bad: algorithms of only some passes" bad_tuning \
    'return { convs = { ["B64 128x32x32->128 pool"] = { forward = "direct" } } }' \
    ': convs["B64 128x32x32->128 pool"]: give the algorithm of all three passes (forward, backward_data, backward_weights) or of none'

# make tune end to end on a small network: candidates built and timed, the
# file written and then used by the generator.
make_tune() {
    local out=$LOGDIR/tune-tiny.lua d=$LOGDIR/gen-tune-tiny
    rm -f "$out"; rm -rf "$d"; mkdir -p "$d"
    # (TUNE_DENSE_SHARE=0: the dense layer raced however small its share)
    TUNE_DENSE_SHARE=0 TUNE_STEPS=2 TUNE_BATCH=4 TUNE_OUT="$out" make --no-print-directory tune NET=tiny_avgpool ARCH=native \
        > "$LOGDIR/tune-tiny.out" || return 1
    cat "$LOGDIR/tune-tiny.out" "$out"
    # every candidate timed in 3 rounds (up to 6 where a race was undecided:
    # plan.undecided), or in the first only where make tune named it
    # hopeless after that round (plan.hopeless: these 0.0 ms timings make
    # that chance); each race of the chosen combination (none when it is the
    # defaults, a second when regrouped Winograd groups won: which of these
    # 0.0 ms timings wins is chance) has the defaults in it (counted before
    # the race between blocks, which an arch with more than one block for
    # 16 channels adds: hsw's 16 and 8, and before the last race, of the
    # first dense layer's backward-data)
    local log=$LOGDIR/tune-tiny.out combos per_block timed once dropped
    per_block=$(sed -e '/^  each block.s choice, raced against the others:$/q' \
        -e '/^  the first dense layer.s backward-data, packed against in place:$/q' "$log")
    combos=$(grep -c '^  B=16  chosen per layer  ' <<< "$per_block")
    timed=$(grep -cE ' ms/step \(rounds [0-9.]+( [0-9.]+){2,5}\)$' "$log")
    once=$(grep -cE ' ms/step \(rounds [0-9.]+\)$' "$log")
    dropped=$(sed -n 's/^  timed no more after round 1 ([^)]*): //p' "$log" | tr ';' '\n' | grep -c .)
    echo "timed in 3-6 rounds: $timed, in one: $once, named hopeless: $dropped"
    # and the candidates' race, the long one, says when each round is done
    [ "$(grep -cE '^  B=[0-9]+ +round [123] of 3 timed: [0-9]+ candidates in [0-9]+ s$' "$log")" -ge 3 ] &&
        [ $((timed + once)) -ge 11 ] && [ "$once" -eq "$dropped" ] &&
        [ "$(grep -c '^  B=16  defaults  ' <<< "$per_block")" -eq $((combos + 1)) ] || return 1
    # a new file: this host's section and the arch-wide entries, 3 convs
    # each, of the block that won (hsw's 16 or 8: their steps take 0.1 ms
    # here, so either may)
    local host block; host=$(tuning_host_key)
    block=$(sed -n 's/^ *\["tiny_avgpool"\] = { block = \([0-9]*\),.*/\1/p' "$out" | sort -u)
    echo "block: $block"
    case $block in 16|8) ;; *) return 1 ;; esac
    [ "$(grep -c 'wc = ' "$out")" -eq 6 ] && [ "$(grep -c "\[\"B$block .*wc = " "$out")" -eq 6 ] &&
        grep -qF "[\"$host\"] = {" "$out" && grep -qF "hosts[\"$host\"]" "$LOGDIR/tune-tiny.out" &&
        grep -q 'forward + backward-data ms by width chunk' "$out" || return 1
    # the dense layer's race, and its entry in the host's section only
    grep -q '^  B=[0-9]* *d1 backward-data in place  ' "$log" &&
        [ "$(grep -cE '\["16->8"\] = \{ bwd_d = "(packed|in_place)",' "$out")" -eq 1 ] &&
        [ "$(sed -n '/^  hosts = {$/,$p' "$out" | grep -cE '\["16->8"\] = ')" -eq 1 ] &&
        grep -q 'why = "d1: backward-data ms packed [0-9.]*, in place [0-9.]*; ms/step' "$out" || return 1
    lua5.4 gen/main.lua tests/nets/tiny_avgpool.lua native "$d" --tuning="$out" &&
        grep -qF "($out hosts[\"$host\"])" "$d/model.c" || return 1
    # another host takes the arch-wide entries
    HEPCNN_TUNING_HOST="Other family 1 model 1" lua5.4 gen/main.lua tests/nets/tiny_avgpool.lua native "$d" \
        --tuning="$out" && grep -q "width chunk .*($out)" "$d/model.c"
}
check "tune: make tune times candidates, writes a tuning file the generator reads" make_tune
# Run again over its own file, whose section for this host now names the
# network, make tune races its choice against the file as it stands and
# leaves the file alone unless the choice wins by the margin (here 1000%:
# never), as a section set by hand is not to be lost to a noisy run. Its
# dense layer is not raced where its forward and backward-data take under
# TUNE_DENSE_SHARE of the step (here 1: any share), and make tune says so.
make_tune_section_stays() {
    local out=$LOGDIR/tune-tiny.lua keep=$LOGDIR/tune-tiny-before.lua log=$LOGDIR/tune-tiny-again.out host
    [ -f "$out" ] && cp "$out" "$keep" || return 1
    host=$(tuning_host_key)
    TUNE_DENSE_SHARE=1 TUNE_MARGIN=10 TUNE_ROUNDS=1 TUNE_STEPS=1 TUNE_BATCH=4 TUNE_OUT="$out" \
        make --no-print-directory tune NET=tiny_avgpool ARCH=native > "$log" || return 1
    cat "$log"
    grep -qE '^  the first dense layer, d1: forward \+ backward-data [0-9.]+ ms of a [0-9.]+ ms step, under 100% of it: its defaults, not raced$' "$log" &&
        ! grep -q 'd1 backward-data in place' "$log" &&
        grep -qF "this run's choice, raced against $out's section hosts[\"$host\"]:" "$log" &&
        grep -qE "^  B=[0-9]+ +the file's section as it stands +[0-9.]+ ms/step" "$log" &&
        grep -qF "make tune: $out unchanged: its section hosts[\"$host\"] ran tiny_avgpool at " "$log" &&
        cmp "$out" "$keep"
}
check "tune: run again over a file with this host's section, make tune keeps it unless its choice beats it" \
    make_tune_section_stays
# knl's arch-wide entries come from a Xeon Phi only (gen/arch.lua's
# tuned_on): tuned on any other host, knl code's timings go to that host's
# section, the arch-wide entries stay empty (tests/tuning_test.lua: how
# tuning.record fills them otherwise). On tiny_dense, whose first dense
# layer's 4096 inputs also have its forward's 2048 inputs per call raced
# (4096, all of them, is not a candidate) and its entry say so.
make_tune_knl_section_only() {
    local out=$LOGDIR/tune-knl.lua host log=$LOGDIR/tune-knl.out; rm -f "$out"
    host=$(tuning_host_key)
    case $host in "GenuineIntel family 6 model 87"|"GenuineIntel family 6 model 133") host="Other family 1 model 1" ;; esac
    HEPCNN_TUNING_HOST=$host TUNE_DENSE_SHARE=0 TUNE_STEPS=1 TUNE_ROUNDS=1 TUNE_BATCH=4 TUNE_OUT="$out" \
        make --no-print-directory tune NET=tiny_dense ARCH=knl > "$log" || return 1
    cat "$log" "$out"
    grep -qF "hosts[\"$host\"] (its arch-wide entries come from make tune on a Xeon Phi" "$log" &&
        [ "$(sed -n '/^  hosts = {$/,$p' "$out" | grep -c 'wc = ')" -eq 1 ] &&
        [ "$(sed -n '/^  hosts = {$/q;p' "$out" | grep -c 'wc = \|block = ')" -eq 0 ] || return 1
    grep -q '^  B=[0-9]* *d1 forward by 2048 inputs  ' "$log" && ! grep -q 'd1 forward by 4096 inputs' "$log" &&
        grep -qE '^  d1 +forward inputs per call (512|2048) \(default 512\), backward-data reads its weight ' "$log" &&
        grep -qE '\["4096->2"\] = \{ bwd_d = "(packed|in_place)",( kc = 2048,)?$' "$out" &&
        grep -q 'why = "d1: backward-data ms packed [0-9.]*, in place [0-9.]*; ms/step [0-9.]*, [0-9.]*; forward ms by inputs per call 512: [0-9.]*, 2048: [0-9.]* (' "$out"
}
arch_check "tune: knl timed on a CPU other than a Xeon Phi goes to the host's section only; a dense layer's forward inputs per call raced" knl make_tune_knl_section_only
tune_bad_out() {
    printf 'return {\n' > "$LOGDIR/tune-bad-out.lua"
    expect_fail "tune-bad-out.lua:2: unexpected symbol near <eof> (the file make tune would add to" \
        env TUNE_OUT="$LOGDIR/tune-bad-out.lua" make --no-print-directory tune NET=tiny_avgpool ARCH=native || return 1
    [ ! -d build/tune/tiny_avgpool-native/0 ] || [ build/tune/tiny_avgpool-native/0 -ot "$LOGDIR/tune-bad-out.lua" ]
}
check "tune bad: a tuning file that does not load stops make tune before anything is built" tune_bad_out
check "tune bad: TUNE_ROUNDS not a whole number of at least 1" expect_fail "tune: TUNE_ROUNDS=0: expected a whole number of at least 1" \
    env TUNE_ROUNDS=0 make --no-print-directory tune NET=tiny_avgpool ARCH=native
