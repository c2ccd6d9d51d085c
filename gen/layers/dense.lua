--- dense: fully connected layer with optional ReLU and dropout epilogue;
-- libxsmm GEMMs over the whole batch (templates/dense.c).
local M = {}

local function block(n, max)
  for b = math.min(n, max), 1, -1 do if n % b == 0 then return b end end
  return 1
end

-- The smallest leading dimension >= n floats that is a whole but odd number
-- of cache lines: the columns of a GEMM operand that far apart then fall in
-- different L1 sets. At 8192 floats (32 KiB) apart they all shared one set:
-- hep64's fc1 backward-weights GEMM ran at 66% of the peak on AVX2 code, 93%
-- padded (alone; 59% and 84% in the model, with the transposition).
local function odd_lines(n)
  local lines = (n + 15) // 16
  if lines % 2 == 0 then lines = lines + 1 end
  return lines * 16
end

--- The forward's inputs per call (its GEMM's k) unless a tuning file gives
-- them (see choose_forward_blocks).
function M.default_kc(inputs) return block(inputs, 512) end

--- Backward-data of the first dense layer, whose input gradient the head's
-- backward reads image by image: written image-major, [batch][IN], so no
-- transposition follows. din_t[n][i] = sum_o weight[o][i] dout[o][n] is then
-- a plain GEMM with the weight as A (column i of PyTorch's [OUT][IN] order),
-- the output gradient transposed (small) as B, MD inputs and KD outputs a
-- call. A's columns lie LDW floats apart in place (the weight's rows,
-- padded: see choose_row_strides), so each call's block is copied to a
-- contiguous [KD][MD] first by default; a tuning file can have it read in
-- place (op.BWD_D_PLACE, gen/shapes.lua). The figures below predate the
-- padding, when the columns lay IN floats apart (32 KiB for hep64's fc1).
-- hep64's fc1, batch 64, 2 threads, a Zen 5 core, 2026-12-04: a
-- standalone copy of the pass, caches flushed before each, gave MD = 128,
-- KD = 512 the least time (MD = 64 and 32, KD = 128 slower by 0.03-0.15
-- ms), packed or in place; in place it was 0.15 ms faster in native code
-- (1.13 against 1.28), 2.26 against 3.2 slower in hsw code. In the step
-- (skx code, ab_models 64 10): backward-data 1.48 ms packed, 1.24 in
-- place, against 1.45 the former way (TRANS_B on packed rows, the layer's
-- output feature-major), which then left the head a 0.12 ms transposition.
local function choose_image_major_grad(op)
  op.MD = block(op.IN, 128)
  op.KD = block(op.OUT, 512)
  op.bwd_d_in_place = op.BWD_D_PLACE == "in_place"
end

--- Backward-data's n (inputs per call) and backward-weights' m.
local function choose_input_blocks(op)
  -- backward-data's n (inputs per call): as wide as still gives every thread
  -- 4 calls. On AVX2 code, hep64's fc1 took 3.23-3.28 ms with 512 inputs,
  -- 3.57-3.61 with 64; alike on AVX-512.
  op.NBD = {}
  for _, w in ipairs({ 512, 256, 128, 64 }) do
    if op.IN % w == 0 then op.NBD[#op.NBD + 1] = w end
  end
  if #op.NBD == 0 then op.NBD[1] = block(op.IN, 64) end
  -- backward-weights' m (inputs per call): 128 measured 10% faster than 64
  -- on AVX-512 and alike on AVX2
  op.NBW = block(op.IN, 128)
end

--- How far apart the weight's rows (LDW) and the transposed input's rows
-- (LDT) lie.
local function choose_row_strides(op)
  op.LDT = odd_lines(op.IN)
  -- The weight's rows lie LDW floats apart inside, an odd number of cache
  -- lines (as LDT), PyTorch's order outside: every pass reads or writes a
  -- few floats of each of many rows at a time, and rows 32 KiB apart
  -- (hep64's fc1 unpadded) fall in one L1 set and, in 2 MiB pages, in 4
  -- set groups of a 2 MiB L2. hep64's fc1 in the step on an Intel Xeon
  -- (family 6 model 207), build/ab_models 64 10-16, two places each,
  -- medians, padded against not: hsw code forward 3.33-3.41 ms against
  -- 3.54-3.62, backward-data 3.36-3.49 against 3.67-3.86, backward-weights
  -- 2.88-2.90 against 2.91-3.12; knl code 2.35-2.37 against 2.45-2.58,
  -- 1.98-2.14 against 2.19-2.33, 1.61-1.76 against 1.72-1.89; skx code
  -- alike (1.59-1.74 and 2.07-2.27 against 1.68-1.72 and 2.20-2.30).
  -- Backward-data read in place, padded, still lost to the copy there
  -- (2.40-2.55 ms in the step), though a standalone copy of the pass with
  -- the weight warm in cache had it 0.1-0.3 ms ahead (3.48-3.79 unpadded).
  op.LDW = odd_lines(op.IN)
end

--- The forward's blocking: outputs per block and per call, inputs per call.
local function choose_forward_blocks(op)
  op.OB = block(op.OUT, 64)
  op.ON = block(op.OB, op.forward_outputs or op.OB)   -- outputs per forward call (gen/arch.lua)
  -- forward's k (inputs per call): 512 on every arch. On a Zen 2 core (AVX2
  -- code, 32 KiB L1) 128 made hep64's fc1 forward 10-13% faster at batch 64
  -- (ab_models: 3.16 against 3.52 ms; likely because the input block then
  -- fits L1) but a standalone copy of the pass 19% slower at batch 32 and 9%
  -- at 16, alike at 128. The batch is a run-time value, and the pass is 2%
  -- of hep64's step (the gain 0.2%), so one k is the default. A tuning file
  -- can give the first dense layer its own (op.FWD_KC, gen/shapes.lua;
  -- make tune races 2048 and 4096): on an Intel Xeon (family 6 model 207,
  -- 2 MiB L2) hep64's fc1 forward took 1.63-1.72 ms with 4096 inputs a call,
  -- 1.74-1.78 with 2048, 1.83-1.94 with 512, 2.01-2.05 with all 8192 and
  -- 2.33-2.75 with 128 or 256 (skx code, batch 64, build/ab_models medians
  -- at two places each): the weight's rows are then read in longer runs,
  -- while the input block (k x batch floats) still fits L2. At batch 128
  -- that block is 2 MiB with 4096, and the forward took 5.95-6.03 ms
  -- against 4.13-4.39 with 512 (2048: 4.18-4.36): k is tuned at one batch,
  -- like every blocking (TUNE_BATCH).
  op.KC = op.FWD_KC or M.default_kc(op.IN)
end

--- Backward-data's blocking when its input gradient is feature-major: k
-- (outputs per call) and the pack's row stride.
local function choose_feature_major_grad(op)
  -- backward-data's k (outputs) in chunks: libxsmm's TRANS_B kernel with
  -- k = 512 ran at 60-75% of the peak, with 256 and accumulation at ~90%.
  -- 128: as fast on skx and hsw code (hep64's fc1: 2.56-2.61 ms against
  -- 2.55-2.61 at 256, native; alike on AVX2), and knl code, whose kernel
  -- reads the weight rows (32 KiB apart, a few L2 sets) less kindly, took
  -- 3.23-3.53 ms against 3.93-4.26 (tune_model pairs, a Zen 4 core). hsw's
  -- table asks for 64 (gen/arch.lua: dense_backward_outputs).
  op.KD = block(op.OUT, op.backward_outputs or 128)
  -- Backward-data copies each call's block of weight rows (KD rows, the
  -- call's inputs of each) into the thread's `pack`, LDP floats apart (an
  -- odd number of cache lines, for the widest call), and reads it from
  -- there: the TRANS_B kernels read a few floats from every row at a time,
  -- and in place (before LDW's padding) hep64's fc1 rows lay 32 KiB apart,
  -- in one L1 set and, on a physically indexed L2, in as few sets as the
  -- pages fall. Measured on hep64's fc1 (tune_model, 2 threads), then:
  -- hsw code 3.36 ms in place against 2.65-2.73 packed, knl code 2.31-2.35
  -- against 1.78-1.85 (a Zen 5 core); skx code 6.5-10.4 against 4.0-4.4 on
  -- an Intel core (L2 2 MiB, 16 ways; the in-place time moved with the
  -- run, as the pages fell). On the
  -- Zen 5 core skx code lost 0.35 ms by the copy (1.37-1.39 in place,
  -- 1.72-1.77): the price of one code path that holds on every host. The
  -- forward reads its weight rows in place: copied the same way (64 rows of
  -- the call's 512 inputs, 528 floats apart) it took 2.83 ms against 2.35
  -- (hep64 skx on that Intel core, build/ab_models 64 16, least of 16).
  op.LDP = odd_lines(op.NBD[1])
end

--- The GEMM blocking of each pass.
local function choose_blocking(op)
  choose_forward_blocks(op)
  choose_input_blocks(op)
  choose_row_strides(op)
  if op.image_major_grad then
    choose_image_major_grad(op)
  else
    choose_feature_major_grad(op)
  end
end

--- The header's summary line, the parameters, the output buffer, the probe,
-- and the sizes of the per-thread pack and the shared dense areas.
local function plan_storage(op, ctx)
  if not op.bwd_d_in_place then ctx.thread_need("pack", op.KD * (op.image_major_grad and op.MD or op.LDP)) end
  local parts = {}
  if op.relu then parts[#parts + 1] = "ReLU" end
  if op.dropout then parts[#parts + 1] = "dropout" end
  op.epilogue = #parts > 0 and (", bias, " .. table.concat(parts, ", ")) or ", bias"
  op.summary = string.format("%-8s dense %d->%d%s  (%.4f GFLOP/img)", op.name, op.IN, op.OUT, op.epilogue, op.flops / 1e9)
  -- internal order is PyTorch's [out][in], each row LDW floats long (the
  -- pad, LDW - IN floats, zero)
  local to_plain, from_plain
  if op.LDW > op.IN then
    local function rows(dst, d, dpitch, src, s, spitch)
      return string.format("hep_copy_rows(%s + %d, %d, %s + %d, %d, %d, %d);", dst, d, dpitch, src, s, spitch,
        op.OUT, op.IN)
    end
    to_plain = function(i, p) return rows("plain", p, op.IN, "internal", i, op.LDW) end
    from_plain = function(i, p) return rows("internal", i, op.LDW, "plain", p, op.IN) end
  end
  op.w_off = ctx.add_tensor(op.name .. "/weight", 0, { op.OUT, op.IN }, op.IN * op.OUT, op.IN, to_plain, from_plain,
    op.LDW * op.OUT)
  op.b_off = ctx.add_tensor(op.name .. "/bias", 1, { op.OUT }, op.OUT, op.IN)
  op.stored = op.b_off + op.OUT - op.w_off   -- weight and bias in the internal arrays (the ready hook's range)
  ctx.add_buffer { field = op.name .. "_out", ctype = "float", count = "N * " .. op.OUT,
    shape = string.format("[%d][N] %s output, feature-major", op.OUT, op.name), per_image = op.OUT * 4 }
  ctx.head_width(op.IN); ctx.head_width(op.OUT)
  ctx.dense_in(op.LDT)
  ctx.add_probe { name = op.name, c = op.OUT, h = 1, w = 1,
    read = string.format("hep_transpose_part(m->%s_out, %d, m->batch, n, plain);", op.name, op.OUT) }
end

--- Forward and backward-data, each plain and accumulating, and
-- backward-weights.
local function plan_kernels(op, ctx)
  for _, acc in ipairs({ false, true }) do
    ctx.add_kernel { field = op.name .. (acc and "_fwd_acc" or "_fwd"), type = "libxsmm_smmfunction",
      comment = string.format("%s forward%s: m=batch n=%d k=%d", op.name, acc and " (accumulate)" or "", op.ON, op.KC),
      lda = "batch", ldb = op.LDW, ldc = "batch",
      call = string.format("libxsmm_smmdispatch(batch, %d, %d, &lda, &ldb, &ldc, &one, &%s, &no_trans, NULL)",
        op.ON, op.KC, acc and "one" or "zero") }
  end
  -- The weight gradient is written once per step and read back only by the
  -- optimiser or the allreduce: streaming stores (libxsmm's NTS hint) spare
  -- the cache and the read for ownership, 1.2x here. The hint needs each
  -- block of C 64-byte aligned (the arena is).
  op.bwd_w_streaming = op.w_off % 16 == 0 and op.LDW % 16 == 0 and op.NBW % 16 == 0
  ctx.add_kernel { field = op.name .. "_bwd_w", type = "libxsmm_smmfunction",
    comment = string.format("%s backward-weights: m=%d n=%d k=batch%s", op.name, op.NBW, op.OUT,
      op.bwd_w_streaming and ", streaming stores" or ""),
    lda = op.LDT, ldb = "batch", ldc = op.LDW,
    call = string.format("libxsmm_smmdispatch(%d, %d, batch, &lda, &ldb, &ldc, &one, &zero, &%s, NULL)", op.NBW, op.OUT,
      op.bwd_w_streaming and "streaming" or "no_trans") }
  for _, acc in ipairs({ false, true }) do
    local field, what = op.name .. (acc and "_bwd_d_acc" or "_bwd_d"), acc and " (accumulate)" or ""
    if op.image_major_grad then
      ctx.add_kernel { field = field, type = "libxsmm_smmfunction",
        comment = string.format("%s backward-data%s: m=%d n=batch k=%d, image-major, %s", op.name, what, op.MD, op.KD,
          op.bwd_d_in_place and "weight in place" or "packed"),
        lda = op.bwd_d_in_place and op.LDW or op.MD, ldb = op.OUT, ldc = op.IN,
        call = string.format("libxsmm_smmdispatch(%d, batch, %d, &lda, &ldb, &ldc, &one, &%s, &no_trans, NULL)",
          op.MD, op.KD, acc and "one" or "zero") }
    else
      ctx.add_kernel { field = field, type = "libxsmm_smmfunction",
        comment = string.format("%s backward-data%s: m=batch n=%s k=%d, B transposed, packed", op.name, what,
          op.name .. "_bwd_d_inputs(threads)", op.KD),
        lda = "batch", ldb = op.LDP, ldc = "batch",
        call = string.format("libxsmm_smmdispatch(batch, %s_bwd_d_inputs(m->threads), %d, &lda, &ldb, &ldc, &one, &%s, &trans_b, NULL)",
          op.name, op.KD, acc and "one" or "zero") }
    end
  end
end

function M.plan(op, ctx)
  op.in_buf = ctx.prev_dense and (ctx.prev_dense.name .. "_out") or "feat"
  op.image_major_grad = op.first_dense   -- its input gradient goes to the head
  choose_blocking(op)
  plan_storage(op, ctx)
  plan_kernels(op, ctx)
  op.forward_call = string.format("%s_forward(m, n, pass);", op.name)
end

function M.emit(op, ctx) return ctx.render("dense.c", { L = op }) end

return M
