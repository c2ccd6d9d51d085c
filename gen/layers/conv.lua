--- conv: 3x3 'same' convolution with its fused epilogue (bias, optional ReLU,
-- 2x2 max-pool, dropout). Plans its parameters, buffers and kernels, and
-- renders templates/conv_{first_,}forward.c and conv_backward.c.
local PASSES = require("tuning").PASSES
local shapes = require("shapes")
local M = {}

local function offsets(count_outer, stride_outer, W, B, bytes_per_block)
  -- a_offs: weight blocks (outer, r, s); b_offs: pixel blocks (outer, r, s)
  local a, b = {}, {}
  for o = 0, count_outer - 1 do
    for r = 0, 2 do
      for s = 0, 2 do
        a[#a + 1] = tostring(((o * 9) + r * 3 + s) * bytes_per_block)
        b[#b + 1] = tostring(((o * stride_outer + r) * (W + 2) + s) * B * 4)
      end
    end
  end
  return table.concat(a, ", "), table.concat(b, ", ")
end

--- "; Winograd F(4x4,3x3) in every pass", or the passes that use it.
function M.algorithm_summary(op)
  if not op.wino then return "" end
  local f = string.format("Winograd F(%dx%d,3x3)%s", op.wino, op.wino,
    (op.H % op.wino ~= 0 or op.W % op.wino ~= 0) and " with partial edge tiles" or "")
  if op.wino_fwd and op.wino_bwd_d and op.wino_bwd_w then return "; " .. f .. " in every pass" end
  local used = {}
  for _, pass in ipairs(PASSES) do
    if op.passes[pass] ~= "direct" then used[#used + 1] = pass:gsub("_", "-") end
  end
  return string.format("; %s in %s, direct otherwise", f, table.concat(used, ", "))
end

--- "1 row" or "8 rows" per backward-weights call, for the kernel's comment.
local function call_rows_text(op)
  return string.format("%d row%s per call", op.BWC, op.BWC == 1 and "" or "s")
end

--- The layer's line in model.c's header: shapes, epilogue, FLOPs, algorithm.
local function describe(op)
  local parts = {}
  if op.relu then parts[#parts + 1] = "ReLU" end
  if op.pool then parts[#parts + 1] = "2x2 max-pool" end
  if op.dropout then parts[#parts + 1] = "dropout" end
  local first_part = op.bn and ("batch norm " .. op.bn.name) or "bias"
  op.epilogue = #parts > 0 and (", " .. first_part .. ", " .. table.concat(parts, ", ")) or (", " .. first_part)
  op.summary = string.format("%-8s conv 3x3 %d->%d at %dx%d%s -> %dx%dx%d  (%.3f GFLOP/img)%s",
    op.name, op.C, op.K, op.H, op.W, op.epilogue, op.K, op.OH, op.OW, op.flops / 1e9,
    M.algorithm_summary(op))
end

--- Weight (blocked inside, PyTorch's order outside) and bias or batch norm.
local function plan_params(op, ctx)
  local wcount, first = op.K * op.C * 9, op.first and 1 or 0
  local convert = string.format("hep_conv_weight_convert(%d, %d, %d, %d, ", first, op.K, op.C, op.B)
  op.w_off = ctx.add_tensor(op.name .. "/weight", 0, { op.K, op.C, 3, 3 }, wcount, op.C * 9,
    function(i, p) return string.format("%sinternal + %d, plain + %d, 0);", convert, i, p) end,
    function(i, p) return string.format("%splain + %d, internal + %d, 1);", convert, p, i) end)
  if op.bn then
    M.plan_batchnorm(op, ctx, wcount)
  else
    op.b_off = ctx.add_tensor(op.name .. "/bias", 1, { op.K }, op.K, op.C * 9)
  end
end

--- The output for the batch, the pool's argmax mask, the flipped weights
-- of backward-data, and the probe that reads the output back.
local function plan_buffers(op, ctx)
  local B = op.B
  op.out_per_image = op.KB * (op.OH + 2) * (op.OW + 2) * B
  ctx.add_buffer { field = op.name .. "_out", ctype = "float", count = "N * " .. op.out_per_image,
    shape = string.format("[N][%d][%d][%d][%d] %s output", op.KB, op.OH + 2, op.OW + 2, B, op.name),
    per_image = op.out_per_image * 4 }
  if op.pool then
    -- 4 bits an element (runtime/epilogue.h): argmax, ReLU, dropout; the
    -- block choice (shapes.block_fits) has made B a multiple of the group
    assert(B % shapes.POOL_MASK_GROUP == 0, string.format("%s: channel block %d: pool masks need a multiple of %d",
      op.name, B, shapes.POOL_MASK_GROUP))
    local mask = op.K * op.OH * op.OW // 2
    ctx.add_buffer { field = op.name .. "_mask", ctype = "uint8_t", count = "N * " .. mask,
      shape = string.format("[N][%d][%d][%d][%d] pool argmax, ReLU, dropout bits", op.KB, op.OH, op.OW, B // 2),
      per_image = mask }
  end
  if not op.first then
    local wcount = op.K * op.C * 9
    ctx.add_buffer { field = op.name .. "_wt", ctype = "float", count = tostring(wcount),
      shape = string.format("[%d][%d][3][3][%d][%d] flipped, transposed weights", op.CB, op.KB, B, B),
      fixed = wcount * 4 }
  end
  ctx.add_probe { name = op.name, c = op.K, h = op.OH, w = op.OW,
    read = string.format("hep_blocked_to_plain(m->%s_out, n, %d, %d, %d, %d, plain);", op.name, op.K, op.OH, op.OW, B) }
end

--- Per-thread scratch: conv rows before the epilogue, the output gradient
-- before the pool, and the gradients of one image.
local function plan_thread_scratch(op, ctx)
  local B = op.B
  local rows = op.pool and 2 or 1
  ctx.thread_need("tile", rows * op.W * B)
  -- The first layer has no data gradient, so its pre-pool gradient needs only
  -- the current band of rows, which then stays in cache across bands and
  -- images; the others keep the whole image for backward-data's 3x3 window.
  op.DYH = op.first and op.BWR or op.H + 2
  ctx.thread_need("dy", op.KB * op.DYH * (op.W + 2) * B)
  ctx.thread_need("dout", op.out_per_image)
  if not op.first then ctx.thread_need("dout", op.CB * (op.H + 2) * (op.W + 2) * B) end
end

--- The first conv's kernels: its few input channels are a GEMM's k, not
-- blocks.
local function plan_first_kernels(op, ctx)
  local B = op.B
  -- taps (r, s): weight block [r][s][C][B]; input pixel (r, s) away, C floats each
  local a, b = {}, {}
  for r = 0, 2 do
    for s = 0, 2 do
      a[#a + 1] = tostring((r * 3 + s) * op.C * B * 4)
      b[#b + 1] = tostring((r * (op.W + 2) + s) * op.C * 4)
    end
  end
  op.fwd_a_offs, op.fwd_b_offs = table.concat(a, ", "), table.concat(b, ", ")
  ctx.add_kernel { field = op.name .. "_fwd", type = "libxsmm_smmfunction_reducebatch_offs",
    comment = string.format("%s forward: m=%d n=%d k=%d, batch-reduce over 9 taps", op.name, B, op.WC, op.C),
    lda = B, ldb = op.C, ldc = B,
    call = string.format("libxsmm_smmdispatch_reducebatch_offs(%d, %d, %d, &lda, &ldb, &ldc, &one, &zero, &no_trans, NULL)",
      B, op.WC, op.C) }
  -- one tap's C channels of the input in place, or all 9 taps at once from
  -- the patches [BWC][W][9C] (gen/arch.lua first_bwd_w_patches)
  local n, row_bytes, from = op.C, (op.W + 2) * op.C * 4, ""
  if op.patches then
    n, from = 9 * op.C, ", from the input patches"
    row_bytes = op.W * n * 4
    ctx.thread_need("patch", op.BWC * op.W * n)
  end
  ctx.add_kernel { field = op.name .. "_bwd_w", type = "libxsmm_smmfunction_reducebatch_strd",
    comment = string.format("%s backward-weights: m=%d n=%d k=%d%s, %s", op.name, B, n, op.W, from, call_rows_text(op)),
    lda = B, ldb = n, ldc = B,
    call = string.format("libxsmm_smmdispatch_reducebatch_strd(%d, %d, %d, %d, %d, &lda, &ldb, &ldc, &one, &one, &trans_b, NULL)",
      B, n, op.W, (op.W + 2) * B * 4, row_bytes) }
end

--- The kernels of a conv whose input channels come in blocks: forward and
-- backward-data reduce over the 9 taps of every block, backward-weights
-- over rows.
local function plan_blocked_kernels(op, ctx)
  local B = op.B
  op.fwd_a_offs, op.fwd_b_offs = offsets(op.CB, op.H + 2, op.W, B, B * B * 4)
  op.bwd_a_offs, op.bwd_b_offs = offsets(op.KB, op.H + 2, op.W, B, B * B * 4)
  for _, pass in ipairs({ "fwd", "bwd_d" }) do
    ctx.add_kernel { field = op.name .. "_" .. pass, type = "libxsmm_smmfunction_reducebatch_offs",
      comment = string.format("%s %s: m=%d n=%d k=%d, batch-reduce over %d blocks", op.name,
        pass == "fwd" and "forward" or "backward-data", B, op.WC, B, (pass == "fwd" and op.CB or op.KB) * 9),
      lda = B, ldb = B, ldc = B,
      call = string.format("libxsmm_smmdispatch_reducebatch_offs(%d, %d, %d, &lda, &ldb, &ldc, &one, &zero, &no_trans, NULL)",
        B, op.WC, B) }
  end
  ctx.add_kernel { field = op.name .. "_bwd_w", type = "libxsmm_smmfunction_reducebatch_strd",
    comment = string.format("%s backward-weights: m=%d n=%d k=%d, %s", op.name, B, B, op.W, call_rows_text(op)),
    lda = B, ldb = B, ldc = B,
    call = string.format("libxsmm_smmdispatch_reducebatch_strd(%d, %d, %d, %d, %d, &lda, &ldb, &ldc, &one, &one, &trans_b, NULL)",
      B, B, op.W, (op.W + 2) * B * 4, (op.W + 2) * B * 4) }
end

function M.plan(op, ctx)
  op.in_buf = op.first and "x0" or (ctx.prev_conv.name .. "_out")
  describe(op)
  plan_params(op, ctx)
  plan_buffers(op, ctx)
  plan_thread_scratch(op, ctx)
  if op.first then plan_first_kernels(op, ctx) else plan_blocked_kernels(op, ctx) end
  if op.wino then M.plan_winograd(op, ctx) end
  op.forward_call = string.format("%s_forward(m, n, pass);", op.name)
end

-- Floats of a thread's Winograd scratch that should stay in its L2 cache:
-- the transformed inputs and products of one chunk of tiles.
local WINO_CACHE_FLOATS = 128 * 1024
-- Floats of the input transform's column buffer: 24 KiB of a 32 KiB L1.
local WINO_COLUMN_FLOATS = 6 * 1024
-- Floats of padding after each position of the transformed tiles and
-- products (one cache line), where positions would lie a multiple of 4 KiB
-- apart: the transforms store or load a tile's positions one after the
-- other, and such positions all fall in one L1 set (hep64, B = 32 with 8
-- tiles of 4 blocks: its conv2 forward 3.5% faster padded). Padding every
-- layer of hep224, whose strides are not such multiples but for conv5's
-- backward-weights, measured 1-2% slower, so it is only for that case.
local function position_pad(...)
  for _, stride in ipairs({ ... }) do
    if stride % 1024 == 0 then return 16 end
  end
  return 0
end

--- The tiles of one tile row that go through the transforms and products
-- together: the chunk (WINO_N, at most the arch's width chunk of tiles
-- whose V and M fit the cache budget: the largest divisor of the row,
-- unless that is under half the most (19 tiles, F(6x6) at 112); then
-- near-equal chunks, the last (WINO_TAIL) shorter with a kernel of its own),
-- and the tiles whose input columns go through B^T together (WINO_SUB,
-- _wino_input_to: their buffer [WA][WT * SUB + WA - WT][B] within L1, a
-- chunk cut into near-equal pieces).
local function plan_winograd_chunks(op)
  local B, T, TW = op.B, op.WT, op.TW
  local fit = math.max(1, WINO_CACHE_FLOATS // (op.WP * (op.CB + op.KB) * B))
  local most = math.max(1, math.min(TW, fit, op.max_width_chunk))
  op.WINO_N = 1
  for n = most, 1, -1 do
    if TW % n == 0 then op.WINO_N = n; break end
  end
  if 2 * op.WINO_N < most then
    local chunks = shapes.tiles_along(TW, most)
    op.WINO_N = shapes.tiles_along(TW, chunks)
  end
  op.WINO_TAIL = TW % op.WINO_N
  local sub = math.max(1, math.min(op.WINO_N, (WINO_COLUMN_FLOATS // (op.WA * B) - (op.WA - T)) // T))
  op.WINO_SUB = shapes.tiles_along(op.WINO_N, shapes.tiles_along(op.WINO_N, sub))
end

--- A forward or backward-data product kernel: n tiles of one position,
-- `row` tiles apart between input blocks (the strided batch-reduce over
-- them), `what` the comment's words before its shape.
local function add_winograd_product_kernel(op, ctx, field, what, n, row)
  local B = op.B
  ctx.add_kernel { field = op.name .. field, type = "libxsmm_smmfunction_reducebatch_strd",
    comment = string.format("%s %s: m=%d n=%d k=%d, batch-reduce over the input blocks", op.name, what, B, n, B),
    lda = B, ldb = B, ldc = B,
    call = string.format("libxsmm_smmdispatch_reducebatch_strd(%d, %d, %d, %d, %d, &lda, &ldb, &ldc, &one, &zero, &no_trans, NULL)",
      B, n, B, B * B * 4, row * B * 4) }
end

--- The forward's and backward-data's transformed-domain products of a
-- chunk of tiles, and of the row's shorter last chunk where there is one.
local function add_winograd_chunk_kernels(op, ctx)
  add_winograd_product_kernel(op, ctx, "_wino", "Winograd products", op.WINO_N, op.WINO_N)
  if op.WINO_TAIL > 0 then
    add_winograd_product_kernel(op, ctx, "_wino_tail", "Winograd products (the row's last, shorter chunk)", op.WINO_TAIL,
      op.WINO_N)
  end
end

--- Winograd F(T x T, 3x3) for the passes that use it (templates/conv_winograd.c,
-- runtime/winograd.h). Forward and backward-data: transformed weights per
-- pass, per-thread scratch for a chunk of tiles of one tile row, and the
-- transformed-domain GEMM (strided batch-reduce over the input blocks).
function M.plan_winograd(op, ctx)
  local B, T = op.B, op.wino
  op.WT, op.WA = T, T + 2
  op.WP = op.WA * op.WA
  op.TH, op.TW = shapes.tiles_along(op.H, T), shapes.tiles_along(op.W, T)
  op.EDGE_W, op.EDGE_H = op.W % T, op.H % T   -- pixels of a partial last tile column / row (0: none)
  plan_winograd_chunks(op)
  op.WPAD = position_pad(op.CB * op.WINO_N * B, op.KB * op.WINO_N * B)
  local pad = 2 * op.WP * op.WPAD   -- V's and M's
  local ucount = op.WP * op.K * op.C
  if op.wino_fwd then
    ctx.add_buffer { field = op.name .. "_wino_u", ctype = "float", count = tostring(ucount),
      shape = string.format("[%d][%d][%d][%d][%d] Winograd-transformed weights", op.WP, op.KB, op.CB, B, B),
      fixed = ucount * 4 }
    ctx.thread_need("wino", op.WP * (op.CB + op.KB) * op.WINO_N * B + pad + op.KB * T * op.W * B)
    if op.WFG * op.WFI > 1 then   -- WFI whole images of WFG tile rows, or WFG rows of one
      op.WPAD_F = M.plan_winograd_row_group(op, ctx, op.WFG * op.WFI, "_wino_group", "forward", op.KB * T * op.W * B)
    end
  end
  if op.wino_bwd_d then
    ctx.add_buffer { field = op.name .. "_wino_ub", ctype = "float", count = tostring(ucount),
      shape = string.format("[%d][%d][%d][%d][%d] Winograd-transformed backward-data weights", op.WP, op.CB, op.KB, B, B),
      fixed = ucount * 4 }
    ctx.thread_need("wino", op.WP * (op.CB + op.KB) * op.WINO_N * B + pad)
    if op.WDG > 1 then
      op.WPAD_D = M.plan_winograd_row_group(op, ctx, op.WDG, "_wino_data_group", "backward-data", 0)
    end
    if op.WDI > 1 then   -- and a pair of whole images (conv_backward_by_image's pairs)
      op.WPAD_DI = M.plan_winograd_row_group(op, ctx, op.WDG * op.WDI, "_wino_data_images", "backward-data", 0)
    end
  end
  if op.wino_fwd or op.wino_bwd_d then add_winograd_chunk_kernels(op, ctx) end
  if op.wino_bwd_w then M.plan_winograd_weights(op, ctx, ucount) end
end

--- A Winograd pass by groups of G whole tile rows (gen/shapes.lua's
-- choose_row_groups: the forward's WFG, backward-data's WDG): one product
-- call per position and output block over all the group's tiles, so that
-- each block of transformed weights read from beyond L2 serves G rows of
-- tiles, not one. `after` floats of scratch follow the group's V and M (the
-- forward's conv rows). Returns the padding after each position.
function M.plan_winograd_row_group(op, ctx, G, field, what, after)
  local B, GN = op.B, G * op.TW
  local pad = position_pad(op.CB * GN * B, op.KB * GN * B)
  ctx.thread_need("wino", op.WP * (op.CB + op.KB) * GN * B + 2 * op.WP * pad + after)
  add_winograd_product_kernel(op, ctx, field, string.format("Winograd %s products over a group of %d tile rows", what, G),
    GN, GN)
  return pad
end

--- Winograd backward-weights: groups of WG tile rows (gen/shapes.lua
-- chooses WG); the transformed-domain gradient accumulates per thread
-- (wgrad). Each product call reduces over chunks of WK tiles: the forward's
-- chunk where it divides the row, else the whole row. A group of WI > 1
-- whole images waits across images, while backward-data and the other
-- layers use the shared scratch, so it has a part of its own (wgroup).
function M.plan_winograd_weights(op, ctx, ucount)
  local B, TW = op.B, op.TW
  op.WK = TW % op.WINO_N == 0 and op.WINO_N or TW
  op.WPAD_W = position_pad(op.CB * op.WG * TW * B, op.KB * op.WG * TW * B)
  local group = op.WG * TW * op.WP * (op.CB + op.KB) * B + 2 * op.WP * op.WPAD_W
  if op.WI > 1 then
    op.wgroup_off = ctx.thread_add("wgroup", group)
  else
    ctx.thread_need("wino", group)
  end
  op.wgrad_off = ctx.thread_add("wgrad", ucount)
  ctx.thread_need("wino", 3 * op.WA * B * B)   -- the weight gradient's G^T dU (_wino_weight_grad_finish)
  ctx.add_kernel { field = op.name .. "_wino_bwd_w", type = "libxsmm_smmfunction_reducebatch_strd",
    comment = string.format("%s Winograd backward-weights: m=%d n=%d k=%d, batch-reduce over up to %d chunks of tiles%s",
      op.name, B, B, op.WK, op.WG * TW // op.WK, op.WBW_CODE and ", AVX2 code (tuning file)" or ""),
    target = op.WBW_CODE and "hsw" or nil,
    lda = B, ldb = B, ldc = B,
    call = string.format("libxsmm_smmdispatch_reducebatch_strd(%d, %d, %d, %d, %d, &lda, &ldb, &ldc, &one, &one, &trans_b, NULL)",
      B, B, op.WK, op.WK * B * 4, op.WK * B * 4) }
end

--- Batch normalisation between the conv and its epilogue (PyTorch's
-- BatchNorm2d names; the conv has no bias, as in the original benchmark):
-- scale and shift are parameters, the running averages model state. Training
-- needs the whole batch's conv output before any image can be normalised, so
-- it is stored ([N][KB][H][W][B], no border) with per-tile partial sums.
function M.plan_batchnorm(op, ctx, wcount)
  local bn, K, B = op.bn, op.K, op.B
  op.scale_off = ctx.add_tensor(bn.name .. "/weight", 2, { K }, K, 1)
  op.shift_off = ctx.add_tensor(bn.name .. "/bias", 1, { K }, K, 1)
  op.mean_off = ctx.add_state(bn.name .. "/running_mean", K, 0)
  op.var_off = ctx.add_state(bn.name .. "/running_var", K, 1)
  local pre = op.KB * op.H * op.W * B
  ctx.add_buffer { field = op.name .. "_pre", ctype = "float", count = "N * " .. pre,
    shape = string.format("[N][%d][%d][%d][%d] %s before batch norm (training)", op.KB, op.H, op.W, B, op.name),
    per_image = pre * 4 }
  local fsums = op.KB * op.OH * 2 * B
  ctx.add_buffer { field = op.name .. "_fsums", ctype = "double", count = "N * " .. fsums,
    shape = string.format("[N][%d][%d][2][%d] sum, sum of squares per output row", op.KB, op.OH, B),
    per_image = fsums * 8 }
  local bsums = op.KB * (op.H // op.BWR) * 2 * B
  ctx.add_buffer { field = op.name .. "_bsums", ctype = "double", count = "N * " .. bsums,
    shape = string.format("[N][%d][%d][2][%d] gradient sums per backward band", op.KB, op.H // op.BWR, B),
    per_image = bsums * 8 }
  ctx.add_buffer { field = op.name .. "_bn", ctype = "float", count = tostring(8 * K),
    shape = string.format("[8][%d] scale, shift, mean, 1/std, backward coefficients", K), fixed = 8 * K * 4 }
  ctx.add_buffer { field = op.name .. "_wfold", ctype = "float", count = tostring(wcount + K),
    shape = string.format("[%d + %d] weights and bias with batch norm folded in (inference)", wcount, K),
    fixed = (wcount + K) * 4 }
  ctx.thread_need("sink", K)
  ctx.has_bn = true
end

function M.emit(op, ctx)
  local fwd = ctx.render(op.first and "conv_first_forward.c" or "conv_forward.c", { L = op })
    .. ctx.render("conv_epilogue.c", { L = op })
    .. (op.wino and ctx.render("conv_winograd.c", { L = op }) or "")
  local bwd = ctx.render("conv_backward.c", { L = op })
  return fwd .. "\n" .. bwd
end

return M
