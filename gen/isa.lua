--- The CPU extensions a build may use, read from the compiler itself: the
-- instruction-set macros that `cc <arch cflags> -dM -E` defines beyond the
-- x86-64 baseline. The arch table's cflags stay the one source; this turns
-- them into the list the start-up check (runtime/isa_guard.c) tests before
-- any arch-compiled instruction runs.
--
-- Feature names are Linux's /proc/cpuinfo flags, so a user can grep for them.
local M = {}

-- compiler macro -> /proc/cpuinfo flag, for every extension the compiler
-- may use on its own (vector code, bit manipulation, byte swaps, 16-byte
-- atomics); runtime/isa_guard.c knows each flag's CPUID bit. Several macros
-- may name one flag.
M.macro_flag = {
  __SSE3__ = "pni", __SSSE3__ = "ssse3", __SSE4_1__ = "sse4_1", __SSE4_2__ = "sse4_2",
  __CRC32__ = "sse4_2", __POPCNT__ = "popcnt", __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16 = "cx16",
  __LAHF_SAHF__ = "lahf_lm", __MOVBE__ = "movbe", __AVX__ = "avx", __FMA__ = "fma", __FP_FAST_FMA = "fma",
  __FP_FAST_FMAF = "fma", __F16C__ = "f16c", __AVX2__ = "avx2", __BMI__ = "bmi1", __BMI2__ = "bmi2",
  __LZCNT__ = "abm", __ABM__ = "abm", __GFNI__ = "gfni", __AVXVNNI__ = "avx_vnni",
  __FMA4__ = "fma4", __XOP__ = "xop", __TBM__ = "tbm",
  __AVX512F__ = "avx512f", __AVX512DQ__ = "avx512dq", __AVX512IFMA__ = "avx512ifma",
  __AVX512CD__ = "avx512cd", __AVX512BW__ = "avx512bw", __AVX512VL__ = "avx512vl",
  __AVX512ER__ = "avx512er", __AVX512PF__ = "avx512pf", __AVX512VBMI__ = "avx512vbmi",
  __AVX512VBMI2__ = "avx512_vbmi2", __AVX512VNNI__ = "avx512_vnni", __AVX512BITALG__ = "avx512_bitalg",
  __AVX512VPOPCNTDQ__ = "avx512_vpopcntdq", __AVX512BF16__ = "avx512_bf16", __AVX512FP16__ = "avx512_fp16",
}

-- Macros that need no check. Hints that decode as no-ops on CPUs without
-- them (prefetches, CET); the FMA macros of other types; and extensions the
-- compiler reaches only through their intrinsics, which hepcnn does not use
-- (checking them would refuse CPUs that lack, say, SGX for nothing).
M.not_checked = {
  __PRFCHW__ = true, __PREFETCHWT1__ = true, __SHSTK__ = true,
  __FP_FAST_FMAF32 = true, __FP_FAST_FMAF32x = true, __FP_FAST_FMAF64 = true,
  __AES__ = true, __PCLMUL__ = true, __VAES__ = true, __VPCLMULQDQ__ = true, __SHA__ = true,
  __RDRND__ = true, __RDSEED__ = true, __RDPID__ = true, __ADX__ = true, __FSGSBASE__ = true,
  __XSAVE__ = true, __XSAVEOPT__ = true, __XSAVEC__ = true, __XSAVES__ = true, __FXSR__ = true,
  __CLFLUSHOPT__ = true, __CLWB__ = true, __CLZERO__ = true, __PKU__ = true, __SGX__ = true,
  __SSE4A__ = true, __MWAITX__ = true, __WBNOINVD__ = true, __PCONFIG__ = true, __MOVDIRI__ = true,
  __MOVDIR64B__ = true, __WAITPKG__ = true, __CLDEMOTE__ = true, __ENQCMD__ = true, __SERIALIZE__ = true,
  __TSXLDTRK__ = true, __PTWRITE__ = true, __RTM__ = true, __HLE__ = true, __KL__ = true, __WIDEKL__ = true,
  __UINTR__ = true, __HRESET__ = true, __AVX512VP2INTERSECT__ = true, __LWP__ = true,
  __AMX_TILE__ = true, __AMX_INT8__ = true, __AMX_BF16__ = true,
  __AVX5124FMAPS__ = true, __AVX5124VNNIW__ = true,
}

local BASELINE = "-march=x86-64 -mtune=generic"

local function macros(cc, flags)
  local cmd = string.format("%s %s -dM -E -x c /dev/null 2>&1", cc, flags)
  local p = io.popen(cmd)
  if not p then return nil, "cannot run " .. cmd end
  local set, text = {}, p:read("a")
  local ok = p:close()
  if not ok then return nil, string.format("'%s' failed:\n%s", cmd, text) end
  for name in text:gmatch("#define ([%w_]+)") do set[name] = true end
  return set
end

--- Sorted /proc/cpuinfo flags the compiler may use with `cflags`, and a
-- sorted list of extension macros it defines that this table does not know
-- (the start-up check cannot test those; the generator refuses them).
function M.features(cc, cflags)
  local base, err = macros(cc, BASELINE)
  if not base then return nil, err end
  local with
  with, err = macros(cc, cflags)
  if not with then return nil, err end
  local flags, seen, unknown = {}, {}, {}
  for name in pairs(with) do
    if not base[name] then
      local flag = M.macro_flag[name]
      if flag and not seen[flag] then
        seen[flag] = true
        flags[#flags + 1] = flag
      elseif not flag and not M.not_checked[name] and name:match("^__[A-Z][A-Z0-9_]*__$") then
        unknown[#unknown + 1] = name
      end
    end
  end
  table.sort(flags)
  table.sort(unknown)
  return flags, unknown
end

return M
