# Every network for every arch, failing on any compiler warning (sourced by
# tests/run.sh in full runs). The builds of one arch share its runtime
# objects, so they go one after another; the archs go side by side, as many
# as there are CPUs (each model.c compiles on one core). Each build's output
# is then checked in order. The arch-independent tools, which every build
# names, are built first.
echo "== builds (every network x arch, no compiler warnings)"

# build_arch ARCH NET...: each build's output in $LOGDIR/build-NET-ARCH.out,
# its exit status and seconds in .rc
build_arch() {
    local arch=$1 net t0; shift
    rm -f build/runtime-"$arch"/*.o   # the runtime once per arch (its first build shows its warnings)
    for net in "$@"; do
        rm -f "build/$net-$arch/model.o"
        t0=$SECONDS
        make --no-print-directory NET="$net" ARCH="$arch" > "$LOGDIR/build-$net-$arch.out" 2>&1
        echo "$? $((SECONDS - t0))" > "$LOGDIR/build-$net-$arch.rc"
    done
}
# built NET ARCH: that build succeeded and printed no compiler warning
built() {
    local out="$LOGDIR/build-$1-$2.out" rc secs
    read -r rc secs < "$LOGDIR/build-$1-$2.rc" || return 1
    echo "(built in $secs s, beside the other archs' builds)"
    no_warnings cat "$out" && [ "$rc" -eq 0 ]
}
build_nets() {
    case $1 in native|hsw) echo "hep64 hep224 hep64_4class hep64_bn" ;;   # batch norm's code is arch-independent C
               *) echo "hep64 hep224 hep64_4class" ;; esac
}

rm -f build/isa_guard.o bin/hepcnn-datagen bin/hepcnn-export
check "build the arch-independent tools (datagen, export, delphes, the CPU check)" \
    no_warnings make --no-print-directory build/isa_guard.o bin/hepcnn-datagen bin/hepcnn-export bin/hepcnn-delphes
for arch in native skx hsw knl; do
    rm -f "$LOGDIR"/build-*-"$arch".rc
    [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ] && wait -n
    build_arch $arch $(build_nets $arch) &
done
wait
for arch in native skx hsw knl; do
    for net in $(build_nets $arch); do check "build $net-$arch" built $net $arch; done
done
