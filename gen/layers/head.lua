--- The head between the convolutions and the dense layers: global average
-- pooling (templates/avgpool.c) or flatten in C,H,W order (templates/flatten.c).
local M = {}

function M.plan(op, ctx)
  local last = ctx.prev_conv
  op.in_buf = last.name .. "_out"
  op.B, op.KB = last.B, last.KB
  ctx.add_buffer { field = "feat", ctype = "float", count = "N * " .. op.F,
    shape = string.format("[%d][N] features, feature-major", op.F), per_image = op.F * 4 }
  ctx.head_width(op.F)
  ctx.add_probe { name = op.name, c = op.F, h = 1, w = 1,
    read = string.format("hep_transpose_part(m->feat, %d, m->batch, n, plain);", op.F) }
  if op.kind == "avgpool" then
    op.summary = string.format("%-8s global average pool %dx%dx%d -> %d", op.name, op.C, op.H, op.W, op.F)
    ctx.add_buffer { field = "ones", ctype = "float", count = tostring(op.W), shape = string.format("[%d] ones", op.W), fixed = op.W * 4 }
    ctx.ones_len = op.W
    ctx.add_kernel { field = op.name .. "_fwd", type = "libxsmm_smmfunction_reducebatch_strd",
      comment = string.format("%s forward: m=%d n=1 k=%d, %d rows", op.name, op.B, op.W, op.H),
      lda = op.B, ldb = op.W, ldc = op.B,
      call = string.format("libxsmm_smmdispatch_reducebatch_strd(%d, 1, %d, %d, 0, &lda, &ldb, &ldc, &one, &zero, &no_trans, NULL)",
        op.B, op.W, (op.W + 2) * op.B * 4) }
  else
    op.summary = string.format("%-8s flatten %dx%dx%d (C,H,W order) -> %d", op.name, op.C, op.H, op.W, op.F)
  end
  op.forward_call = string.format("%s_forward(m, n);", op.name)
end

function M.emit(op, ctx)
  return ctx.render(op.kind == "avgpool" and "avgpool.c" or "flatten.c", { L = op })
end

return M
