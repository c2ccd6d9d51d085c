# Start-up ISA check (sourced by tests/run.sh): every binary runs or refuses
# this CPU cleanly (exit 1 naming the missing extensions and the build to
# use, never SIGILL); later checks skip the archs this CPU cannot run. The
# refusal is also tested on emulated CPUs (qemu-user), so that both kinds of
# host test both directions: knl/skx on an AVX2-only CPU, hsw on a CPU
# without AVX2, and the hsw build really training on an AVX2-only CPU.
echo "== CPU extensions (start-up check)"
echo "this CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
     "$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || echo 'no AVX-512')"
for arch in native skx hsw knl; do
    check "isa: bin/hep64-$arch starts, or refuses this CPU with exit 1" probe_arch $arch
done

# Every flag the generator can require is one the start-up check can test.
isa_tables_agree() {
    local gen guard missing=0 f
    gen=$(lua5.4 -e 'package.path = "gen/?.lua;" .. package.path
        local seen = {} for _, f in pairs(require("isa").macro_flag) do seen[f] = true end
        for f in pairs(seen) do print(f) end' | sort)
    guard=$(grep -o '{ "[a-z0-9_]*", ' runtime/isa_guard.c | cut -d'"' -f2 | sort)
    for f in $gen; do grep -qx "$f" <<<"$guard" || { echo "runtime/isa_guard.c lacks $f"; missing=1; }; done
    echo "$(wc -w <<<"$gen") flags, all known to the guard"
    return $missing
}
check "isa: gen/isa.lua's flags are all known to runtime/isa_guard.c" isa_tables_agree

# ARCH=native on any CPU this compiler knows: no extension the start-up
# check cannot test (the generator would refuse the build).
every_march_known() {
    local marchs
    marchs=$(LC_ALL=C cc -march=none -x c /dev/null -E 2>&1 | sed -n 's/.*valid arguments to .-march=. switch are: //p' |
             tr ' ' '\n' | grep -Ev '^$|^native$|^(i[3-6]86|pentium.*|k6.*|athlon.*|geode|c3.*|winchip.*|lakemont)$')
    [ -n "$marchs" ] || { echo "cannot list the compiler's -march values"; return 1; }
    lua5.4 - $marchs <<'LUA'
package.path = "gen/?.lua;" .. package.path
local isa, bad = require("isa"), 0
for _, m in ipairs(arg) do
  local flags, unknown = isa.features("cc", "-march=" .. m)
  if not flags then print(m, unknown); bad = bad + 1
  elseif #unknown > 0 then print(m .. ": " .. table.concat(unknown, " ")); bad = bad + 1 end
end
print(#arg .. " -march values, " .. bad .. " with extensions gen/isa.lua does not know")
os.exit(bad == 0 and 0 or 1)
LUA
}
check "isa: every -march the compiler knows maps to extensions the check can test" every_march_known

# emulated CPU NAME QEMU_CPU BIN EXPECTED_MISSING EXPECTED_ADVICE
refuses_emulated() {
    local cpu=$1 bin=$2 missing=$3 advice=$4 out rc
    out=$(qemu-x86_64 -cpu "$cpu" "$bin" --config=configs/demo_64.json --dummy_data 2>&1); rc=$?
    printf '%s\n' "$out"
    [ $rc -eq 1 ] || { echo "expected exit 1, got $rc"; return 1; }
    grep -q "does not have: .*$missing" <<<"$out" && grep -qF "$advice" <<<"$out"
}
if command -v qemu-x86_64 >/dev/null; then
    # qemu's 'max' CPU has AVX2 and FMA but no AVX-512: a Zen 3 or Haswell for this purpose
    for arch in knl skx; do
        check "isa: bin/hep64-$arch on an emulated AVX2-only CPU exits 1 naming avx512f" \
            refuses_emulated max bin/hep64-$arch avx512f "make NET=hep64 ARCH=hsw   (or ARCH=native"
    done
    check "isa: bin/hep64-hsw on an emulated CPU without AVX2 exits 1 naming avx2" \
        refuses_emulated Nehalem bin/hep64-hsw "avx2" "make NET=hep64 ARCH=native"
    # one step of one image per thread: emulated, the step took 17 s, the
    # initial weights' draws 21 s (4 images: 35 s a step)
    trains_emulated() {
        local out
        rm -rf "$LOGDIR/run-qemu-hsw"
        out=$(OMP_NUM_THREADS=2 qemu-x86_64 -cpu max bin/hep64-hsw --config=configs/demo_64.json --dummy_data \
              --trainsamples=2 --num_epochs=1 --train_batch_size=2 --outputpath="$LOGDIR/run-qemu-hsw" 2>&1) ||
            { printf '%s\n' "$out"; return 1; }
        printf '%s\n' "$out"
        grep -q 'TRAINING REPORT: step 1 (1)' <<<"$out"
    }
    check "isa: bin/hep64-hsw trains on an emulated AVX2-only CPU" trains_emulated
else
    skip "isa: refusals on emulated CPUs" "qemu-user is not installed (make deps)"
fi

# The two README commands check their Debian packages first: a user who is
# not root is told the one command to run; root gets them installed. A fake
# dpkg-query first in PATH reports lua5.4 as missing.
deps_check() {
    local fake out rc
    # a folder any user can read, wherever the checkout lives
    fake=$(mktemp -d /tmp/hepcnn-deps.XXXXXX) && chmod 755 "$fake" || return 1
    cp tools/deps.sh "$fake/deps.sh"
    cat > "$fake/dpkg-query" <<'SH'
#!/bin/sh
case "$*" in *" lua5.4") echo "unknown ok not-installed"; exit 0 ;; esac
exec /usr/bin/dpkg-query "$@"
SH
    chmod 755 "$fake/dpkg-query" "$fake/deps.sh"
    local as_user=()   # as root, check the non-root path as nobody
    [ "$(id -u)" -eq 0 ] && as_user=(runuser -u nobody --)
    out=$(cd /tmp && "${as_user[@]}" env PATH="$fake:$PATH" bash "$fake/deps.sh" check 2>&1); rc=$?
    printf '%s\n' "$out"
    if ! { [ $rc -eq 1 ] && grep -q "these Debian packages are missing: lua5.4" <<<"$out" &&
           grep -q "install them with:  sudo make deps" <<<"$out"; }; then rm -rf "$fake"; return 1; fi
    if [ "$(id -u)" -eq 0 ]; then
        out=$(PATH="$fake:$PATH" bash tools/deps.sh check 2>&1); rc=$?
        printf '%s\n' "$out" | tail -3
        [ $rc -eq 0 ] && grep -q "installing the Debian packages this needs: lua5.4" <<<"$out" || { rm -rf "$fake"; return 1; }
    fi
    rm -rf "$fake"
}
check "deps: make demo/test tell a user what to install, and install it as root" deps_check
