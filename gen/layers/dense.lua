--- dense: fully connected layer with optional ReLU and dropout epilogue;
-- libxsmm GEMMs over the whole batch (templates/dense.c).
local M = {}

local function block(n, max)
  for b = math.min(n, max), 1, -1 do if n % b == 0 then return b end end
  return 1
end

function M.plan(op, ctx)
  op.in_buf = ctx.prev_dense and (ctx.prev_dense.name .. "_out") or "feat"
  op.MB = block(op.OUT, 64)
  op.NBI = block(op.IN, 64)
  op.KC = block(op.IN, 512)
  op.need_din = true
  local parts = {}
  if op.relu then parts[#parts + 1] = "ReLU" end
  if op.dropout then parts[#parts + 1] = "dropout" end
  op.epilogue = #parts > 0 and (", bias, " .. table.concat(parts, ", ")) or ", bias"
  op.summary = string.format("%-8s dense %d->%d%s  (%.4f GFLOP/img)", op.name, op.IN, op.OUT, op.epilogue, op.flops / 1e9)
  op.w_off = ctx.add_tensor(op.name .. "/weight", 0, { op.OUT, op.IN }, op.IN * op.OUT, op.IN,
    string.format("hep_dense_weight_convert(%d, %d, internal + %%d, plain + %%d, 0);", op.IN, op.OUT),
    string.format("hep_dense_weight_convert(%d, %d, plain + %%d, internal + %%d, 1);", op.IN, op.OUT))
  op.b_off = ctx.add_tensor(op.name .. "/bias", 1, { op.OUT }, op.OUT, op.IN)
  ctx.add_buffer { field = op.name .. "_out", ctype = "float", count = "N * " .. op.OUT,
    shape = string.format("[N][%d] %s output", op.OUT, op.name), per_image = op.OUT * 4 }
  ctx.add_buffer { field = op.name .. "_wt", ctype = "float", count = tostring(op.IN * op.OUT),
    shape = string.format("[%d][%d] transposed weights for backward-data", op.OUT, op.IN), fixed = op.IN * op.OUT * 4 }
  ctx.head_width(op.IN); ctx.head_width(op.OUT)
  ctx.add_probe { name = op.name, c = op.OUT, h = 1, w = 1,
    read = string.format("memcpy(plain, m->%s_out, sizeof(float) * (size_t)n * %d);", op.name, op.OUT) }
  for _, acc in ipairs({ false, true }) do
    ctx.add_kernel { field = op.name .. (acc and "_fwd_acc" or "_fwd"), type = "libxsmm_smmfunction",
      comment = string.format("%s forward%s: m=%d n=batch k=%d", op.name, acc and " (accumulate)" or "", op.MB, op.KC),
      lda = op.OUT, ldb = op.IN, ldc = op.OUT,
      call = string.format("libxsmm_smmdispatch(%d, batch, %d, &lda, &ldb, &ldc, &one, &%s, &no_trans, NULL)",
        op.MB, op.KC, acc and "one" or "zero") }
  end
  ctx.add_kernel { field = op.name .. "_bwd_w", type = "libxsmm_smmfunction",
    comment = string.format("%s backward-weights: m=%d n=%d k=batch", op.name, op.OUT, op.NBI),
    lda = op.OUT, ldb = op.IN, ldc = op.OUT,
    call = string.format("libxsmm_smmdispatch(%d, %d, batch, &lda, &ldb, &ldc, &one, &zero, &trans_b, NULL)", op.OUT, op.NBI) }
  ctx.add_kernel { field = op.name .. "_bwd_d", type = "libxsmm_smmfunction",
    comment = string.format("%s backward-data: m=%d n=batch k=%d", op.name, op.NBI, op.OUT),
    lda = op.IN, ldb = op.OUT, ldc = op.IN,
    call = string.format("libxsmm_smmdispatch(%d, batch, %d, &lda, &ldb, &ldc, &one, &zero, &no_trans, NULL)", op.NBI, op.OUT) }
  op.forward_call = string.format("%s_forward(m, n, pass);", op.name)
end

function M.emit(op, ctx) return ctx.render("dense.c", { L = op }) end

return M
