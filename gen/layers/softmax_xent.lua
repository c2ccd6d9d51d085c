--- softmax_xent: class probabilities and the cross-entropy loss and its
-- gradient (templates/softmax_xent.c).
local M = {}

function M.plan(op, ctx)
  op.in_buf = ctx.prev_dense.name .. "_out"
  op.summary = string.format("%-8s softmax cross-entropy over %d classes", op.name, op.classes)
  ctx.add_buffer { field = "probs", ctype = "float", count = "N * " .. op.classes,
    shape = string.format("[N][%d] class probabilities", op.classes), per_image = op.classes * 4 }
  ctx.add_probe { name = "probs", c = op.classes, h = 1, w = 1,
    read = string.format("memcpy(plain, m->probs, sizeof(float) * (size_t)n * %d);", op.classes) }
  op.forward_call = string.format("%s_forward(m, n);", op.name)
end

function M.emit(op, ctx) return ctx.render("softmax_xent.c", { L = op }) end

return M
