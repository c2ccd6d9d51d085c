--- Architecture tables: everything the generator needs to know about a CPU
-- family, in one table per arch. The kernel planner reads only these fields;
-- adding an arch is adding a table here (and nothing else in gen/). The
-- Makefile takes cflags from here too (gen/main.lua --cflags), and the CPU
-- extensions a build needs are read from the compiler for these cflags
-- (gen/isa.lua).
local M = {}

M.knl = {
  name = "knl",
  description = "Xeon Phi 7250 (Knights Landing), AVX-512F",
  -- -mno-avx512er/-pf: KNL's exponential/prefetch extensions are never needed
  -- by our code, and leaving them out lets the knl binary run (and be tested)
  -- on any AVX-512F machine.
  cflags = "-march=knl -mno-avx512er -mno-avx512pf -mtune=knl",
  libxsmm_target = "knl",
  vector_floats = 16,
  channel_block = { 64, 32, 16 },   -- preferred first; must divide the filters
  max_width_chunk = 28,             -- GEMM n (output pixels per kernel call)
  bwd_weight_rows = 8,              -- rows per backward band (and backward-weights call)
  wino_bwd_images = true,           -- see skx's
  -- Dense forward: outputs (GEMM n) per kernel call, the weight rows it
  -- reads at once. libxsmm's knl kernel keeps all n rows in flight, and
  -- hep64's fc1 rows lie 32 KiB apart, in one L1 set: with n = 64, one
  -- thread ran m=64 k=512 at 35 GFLOP/s, with 8 (the L1's ways) at 115, as
  -- with rows padded off the set (117). The other tables leave it out (one
  -- call per thread block of 64 outputs): skx code was as fast at n = 64,
  -- hsw code slower at 8 (93 against 116).
  dense_forward_outputs = 8,
  first_bwd_w_patches = true,       -- see skx's
  -- The CPUs (gen/tuning.lua's host keys) whose make tune fills the arch-wide
  -- entries of tuning/knl.lua, what a build on a cluster's login node reads:
  -- Knights Landing and Knights Mill. On any other AVX-512 host knl code runs
  -- as an emulation, and its timings go to that host's section only.
  tuned_on = { what = "Xeon Phi (Knights Landing or Knights Mill)",
               hosts = { ["GenuineIntel family 6 model 87"] = true, ["GenuineIntel family 6 model 133"] = true } },
}

-- GCC's tuning for the AVX-512 archs' own vector loops: skx's, and native's
-- on an AVX-512 machine (M.native_for).
local SKX_TUNE = "-mtune=skylake-avx512 -mprefer-vector-width=512"

M.skx = {
  name = "skx",
  description = "Xeon Scalable (Skylake-SP) and later, AVX-512",
  -- GCC's tuning for Skylake-SP keeps its own vector loops (epilogues,
  -- Winograd transforms, dropout) to 256 bits, for the lower clock of
  -- 512-bit code; the convolutions are 512-bit libxsmm kernels anyway, so
  -- that clock is paid already. 512-bit loops made hep224's training step
  -- 1.5% faster (371 against 376 ms, tune_model, 3 pairs on a Zen 4 core;
  -- the first conv's training forward 33.7 against 35.0 ms, medians); hep64's
  -- was unchanged.
  cflags = "-march=skylake-avx512 " .. SKX_TUNE,
  libxsmm_target = "skx",
  vector_floats = 16,
  channel_block = { 64, 32, 16 },
  max_width_chunk = 28,
  bwd_weight_rows = 8,
  -- Winograd backward-weights groups whole images by default where an image
  -- has few tiles (gen/shapes.lua default_group): hep64's conv3 (16 tiles an
  -- image) by 4 images, 9.4-9.8 against 10.0-11.9 ms (skx code), 9.4-11.8
  -- against 10.9-14.1 (native), unchanged for knl code (tune_model, 3-4 pairs
  -- on a Zen 4 core). hsw's code was slower by 4 images (8.5-10.0 against
  -- 7.6-9.3 ms), so its table leaves it out.
  wino_bwd_images = true,
  -- The first conv's backward-weights (3 input channels) as one call per
  -- channel block and band of rows, m=B n=27 k=W, over the band's input
  -- patches (each pixel's 3x3x3 window, copied to the thread's `patch`),
  -- instead of 9 calls of n=3, one per tap. One thread, a band of 8 rows,
  -- a Zen 5 core: knl code 92 -> 224-228 GFLOP/s (224 and 64 wide), skx
  -- code 236 -> 237-240 (224 wide) and 213 -> 237-244 (64); hsw code went
  -- 131 -> 124 (224 wide), so its table leaves it out.
  first_bwd_w_patches = true,
}

M.hsw = {
  name = "hsw",
  description = "Xeon E5 v3 (Haswell), AVX2",
  cflags = "-march=haswell -mtune=haswell",
  libxsmm_target = "hsw",
  vector_floats = 8,
  channel_block = { 32, 64, 16, 8 },
  max_width_chunk = 14,             -- 16 ymm registers: keep the C tile small
  bwd_weight_rows = 8,
  -- Rows of the output gradient one backward-weights call reads, in bytes
  -- (at most; whole rows, dividing the band). On 16 ymm registers the
  -- 32x32 weight block is 11 passes of 3 columns over those rows, so they
  -- must stay in L1 between passes: hep224_direct's conv2 ran at 84% of the
  -- peak with 8 rows of 112 pixels (114 KiB) per call, 93% with one (14 KiB).
  -- The AVX-512 tables leave it out (the whole band per call): there one
  -- row per call was 1-3% slower.
  bwd_weight_call_bytes = 16384,
  -- Within that, the fewest rows that give a call this many pixels (its k):
  -- each call loads and stores its 4 KiB weight-gradient block, which a
  -- longer k amortises, while more rows leave L1 between the passes. On a
  -- Zen 2 core (ab_models, medians of 8-10 steps, ms a step) hep64_direct's
  -- conv2 (32 wide) took 99.3 by 1 row, 98.0 by 2, 100.5 by 4 (the most
  -- that fit 16 KiB); its conv3 (16 wide) 25.7 by 2, 24.4-24.6 by 4,
  -- 25.5-25.9 by 8, 28.6 by 16; hep224_direct's conv3 (56 wide) 75.2 by 1,
  -- 76.2 by 2; its conv4 (28 wide) 19.5 by 1, 18.9 by 2; its conv5 (14
  -- wide) 5.15 by 2, 4.85 by 7, 5.11 by 14.
  bwd_weight_call_pixels = 56,
  -- Dense backward-data: outputs (GEMM k) per call, 128 where left out.
  -- hep64's fc1 backward-data took 3.36 ms with 64 against 4.15 with 128
  -- (ab_models, batch 64, least of 12 steps; 74% of the peak against 60%),
  -- 2.03 against 2.02 at batch 32 and 6.44 against 6.48 at 128 (a Zen 2
  -- core); a standalone copy of the pass, batch 16: 1.95 against 2.20 ms.
  -- The likely cause: the call's output-gradient block (batch x k floats,
  -- libxsmm's A operand, read again for every few columns of the weight)
  -- is 32 KiB at batch 64 and k = 128, a Zen 2/3 core's whole L1; why
  -- batch 128 gained nothing is not known. Not measured on AVX-512 code,
  -- whose tables keep 128.
  dense_backward_outputs = 64,
}

-- native: this machine's own -march=native, with the blocking of the named
-- table for the ISA the compiler sees on it (M.native_for): AVX-512's on an
-- AVX-512 machine, AVX2's (32-channel blocks, 14-wide chunks: a 64-wide
-- block spills the 16 ymm registers) on an AVX2-only one. On an AVX-512
-- machine it takes skx's tuning too (SKX_TUNE): GCC 12 knows no Zen 4, and
-- -mtune=native on one is Zen 3's, a 256-bit machine's. With that, hep64's
-- native step came out slower than skx's on the same Zen 4 host (make
-- bench: 1.08x oneDNN against 1.14x). In 16 alternated tune_model rounds
-- against builds with SKX_TUNE, the flatten's backward was slower in every
-- one (0.80-1.22 ms against 0.57-0.94) and the whole step in 12. With
-- SKX_TUNE the two builds differ only in -march, and native is never
-- slower than skx for want of a tuning.
M.native = {
  name = "native",
  description = "the build machine (-march=native)",
  cflags = "-march=native -mtune=native",
  libxsmm_target = nil,   -- libxsmm picks its own best target at run time
}

--- The native table, completed from the named table whose ISA the build
-- machine has, given the CPU extensions the compiler uses for
-- -march=native (gen/isa.lua).
function M.native_for(features)
  local has = {}
  for _, f in ipairs(features) do has[f] = true end
  local like = has.avx512f and has.avx512bw and has.avx512vl and has.avx512dq and M.skx or M.hsw
  local t = {}
  for k, v in pairs(like) do t[k] = v end
  for k, v in pairs(M.native) do t[k] = v end
  t.blocking_from = like.name
  if like == M.skx then t.cflags = "-march=native " .. SKX_TUNE end
  t.description = string.format("the build machine (-march=native), %s: %s's blocking",
    like == M.skx and "AVX-512" or "AVX2", like.name)
  return t
end

-- The named archs, in the order the start-up check suggests them.
M.named = { "skx", "knl", "hsw" }

function M.get(name)
  local a = M[name]
  if type(a) ~= "table" then
    return nil, string.format("unknown arch '%s' (known: knl, hsw, skx, native)", tostring(name))
  end
  return a
end

return M
