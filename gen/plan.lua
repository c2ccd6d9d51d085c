--- Plan parameters, memory and kernels for an inferred network: runs each
-- layer module's plan() in order with a context that collects tensors (conv
-- parameters first, so that per-thread gradient copies cover one prefix of
-- the parameter array), buffers, kernels, probes and per-thread scratch.
local M = {}

local modules = {
  conv = require("layers.conv"),
  dense = require("layers.dense"),
  avgpool = require("layers.head"),
  flatten = require("layers.head"),
  softmax_xent = require("layers.softmax_xent"),
}
M.modules = modules

-- The constants a dispatch call may take by address (libxsmm wants
-- pointers), each declared only where some call uses it.
local DISPATCH_CONSTANTS = {
  { "batch", "const libxsmm_blasint batch = m->batch;" },
  { "one", "const float one = 1.0f;" },
  { "zero", "const float zero = 0.0f;" },
  { "no_trans", "const int no_trans = LIBXSMM_GEMM_FLAG_NONE;" },
  { "trans_b", "const int trans_b = LIBXSMM_GEMM_FLAG_TRANS_B;" },
  { "streaming", "const int streaming = LIBXSMM_GEMM_FLAG_ALIGN_C_NTS_HINT;   /* C aligned, stored past the cache */" },
}

--- The kernels grouped by layer, in order: { layer, kernels, declarations }.
function M.kernel_groups(kernels)
  local groups, by_layer = {}, {}
  for _, k in ipairs(kernels) do
    local g = by_layer[k.layer]
    if not g then
      g = { layer = k.layer, kernels = {}, declarations = {} }
      by_layer[k.layer] = g
      groups[#groups + 1] = g
    end
    g.kernels[#g.kernels + 1] = k
  end
  for _, g in ipairs(groups) do
    for _, c in ipairs(DISPATCH_CONSTANTS) do
      for _, k in ipairs(g.kernels) do
        if k.call:find("%f[%w_]" .. c[1] .. "%f[^%w_]") then
          g.declarations[#g.declarations + 1] = c[2]
          break
        end
      end
    end
  end
  return groups
end

--- The context the layer modules plan in: what they add goes into net's
-- tensors, state, buffers, kernels, probes and per-thread areas.
local function plan_context(net, arch)
  net.tensors, net.buffers, net.kernels, net.probes = {}, {}, {}, {}
  net.thread = { tile = 0, dy = 0, dout = 0, pair = 0, sink = 0, wino = 0, wgroup = 0, wgrad = 0, pack = 0, patch = 0 }
  net.state_tensors, net.num_state = {}, 0
  -- params, internal: floats of parameters so far, plain and internal;
  -- widths: the widest head or dense layer (the dense gradients' rows);
  -- dense_in_most: the widest dense input
  local ctx = { arch = arch, ones_len = 0, params = 0, internal = 0, widths = 0, dense_in_most = 0 }

  -- A trained tensor: `count` floats in plain (PyTorch) order, `stored`
  -- floats (count when nil) in the internal arrays, which may hold padding.
  -- to_plain and from_plain, functions of (internal offset, plain offset),
  -- give the C that converts; without them the orders are the same (a copy).
  -- Returns the internal offset.
  function ctx.add_tensor(name, kind, shape, count, fan_in, to_plain, from_plain, stored)
    local offset, internal = ctx.params, ctx.internal
    local t = { name = name, kind = kind, shape = shape, count = count, fan_in = fan_in, offset = offset,
                internal = internal, stored = stored or count }
    local function copy(dst, d, src, s)
      return string.format("memcpy(%s + %d, %s + %d, sizeof(float) * %d);", dst, d, src, s, count)
    end
    t.to_plain = to_plain and to_plain(internal, offset) or copy("plain", offset, "internal", internal)
    t.from_plain = from_plain and from_plain(internal, offset) or copy("internal", internal, "plain", offset)
    net.tensors[#net.tensors + 1] = t
    ctx.params, ctx.internal = offset + count, internal + t.stored
    return internal
  end
  -- Model state that is not trained (batch norm's running averages): its own
  -- array, plain order, `init` its initial value.
  function ctx.add_state(name, count, init)
    local t = { name = name, kind = 3, shape = { count }, count = count, fan_in = 1, offset = net.num_state, init = init }
    net.state_tensors[#net.state_tensors + 1] = t
    net.num_state = net.num_state + count
    return t.offset
  end
  function ctx.add_buffer(b) net.buffers[#net.buffers + 1] = b end
  -- a kernel of the layer being planned (ctx.layer): model.c dispatches
  -- each layer's in a function of its own
  function ctx.add_kernel(k)
    k.layer = ctx.layer
    net.kernels[#net.kernels + 1] = k
  end
  function ctx.add_probe(p) net.probes[#net.probes + 1] = p end
  function ctx.thread_need(what, floats) net.thread[what] = math.max(net.thread[what], floats) end
  -- a layer's own part of a per-thread area: returns its offset there
  function ctx.thread_add(what, floats)
    local at = net.thread[what]
    net.thread[what] = at + floats
    return at
  end
  function ctx.head_width(w) ctx.widths = math.max(ctx.widths, w) end
  function ctx.dense_in(w) ctx.dense_in_most = math.max(ctx.dense_in_most, w) end
  return ctx
end

--- Each layer module's plan(), the convs first (their parameters are the
-- prefix that per-thread gradient copies cover).
local function plan_layers(net, ctx)
  net.conv_ops, net.dense_ops = {}, {}
  for i, op in ipairs(net.ops) do op.index0 = i - 1 end
  for _, op in ipairs(net.ops) do
    if op.kind == "conv" then
      ctx.layer = op.name
      modules.conv.plan(op, ctx)
      ctx.prev_conv = op
      net.conv_ops[#net.conv_ops + 1] = op
    end
  end
  net.conv_params = ctx.internal
  for _, op in ipairs(net.ops) do
    if op.kind ~= "conv" then
      ctx.layer = op.name
      modules[op.kind].plan(op, ctx)
      if op.kind == "dense" then
        ctx.prev_dense = op
        net.dense_ops[#net.dense_ops + 1] = op
      elseif op.kind == "softmax_xent" then
        net.loss = op
      else
        net.head = op
      end
    end
  end
  net.num_params, net.num_internal = ctx.params, ctx.internal
  net.head_width = ctx.widths
end

--- The buffers the whole network shares: dense layers' transposed input,
-- and with batch norm the conv output gradients of the whole batch.
local function plan_shared_buffers(net, ctx)
  if ctx.dense_in_most > 0 then
    ctx.add_buffer { field = "dense_in_t", ctype = "float", count = "N * " .. ctx.dense_in_most,
      shape = string.format("[N][%d] a dense layer's input, transposed for backward-weights; the head's gradient",
        ctx.dense_in_most),
      per_image = ctx.dense_in_most * 4 }
  end
  net.has_bn = ctx.has_bn or false
  if net.has_bn then
    -- Batch norm needs batch sums between the layers' backward passes, so
    -- the conv backward goes layer by layer over the batch: each conv's
    -- output gradient is kept for the whole batch (ping-pong).
    local most = 0
    for _, op in ipairs(net.conv_ops) do most = math.max(most, op.KB * (op.OH + 2) * (op.OW + 2) * op.B) end
    net.dconv_floats = most
    for k = 0, 1 do
      ctx.add_buffer { field = "dconv" .. k, ctype = "float", count = "N * " .. most,
        shape = string.format("[N][%d] conv output gradients, ping-pong (batch norm)", most), per_image = most * 4 }
    end
  end
end

local LAYER_KINDS = { conv = 0, avgpool = 1, flatten = 2, dense = 3, softmax_xent = 4 }

--- One op's row of the layer table (runtime/model.h's hep_layer_info);
-- tensor_index maps a parameter's internal offset to its tensor's index.
local function layer_info(net, op, tensor_index)
  local l = { name = op.name, kind = LAYER_KINDS[op.kind], relu = op.relu and 1 or 0, pool = op.pool and 1 or 0,
              dropout = op.dropout or 0, weight = -1, bias = -1, flops = op.flops or 0 }
  if op.kind == "conv" then
    l.in_c, l.in_h, l.in_w, l.out_c, l.out_h, l.out_w = op.C, op.H, op.W, op.K, op.OH, op.OW
  elseif op.kind == "dense" then
    l.in_c, l.in_h, l.in_w, l.out_c, l.out_h, l.out_w = op.IN, 1, 1, op.OUT, 1, 1
  elseif op.kind == "softmax_xent" then
    l.in_c, l.in_h, l.in_w, l.out_c, l.out_h, l.out_w = op.classes, 1, 1, op.classes, 1, 1
  else
    l.in_c, l.in_h, l.in_w, l.out_c, l.out_h, l.out_w = op.C, op.H, op.W, op.F, 1, 1
  end
  if op.w_off then l.weight, l.bias = tensor_index[op.w_off], op.b_off and tensor_index[op.b_off] or -1 end
  l.bn_scale, l.bn_shift, l.bn_mean, l.bn_var, l.bn_eps, l.bn_momentum = -1, -1, -1, -1, 0, 0
  l.winograd_passes, l.winograd_tile = 0, 0
  if op.wino then
    l.winograd_passes = (op.wino_fwd and 1 or 0) + (op.wino_bwd_d and 2 or 0) + (op.wino_bwd_w and 4 or 0)
    l.winograd_tile = op.wino
  end
  if op.bn then
    l.bn_scale, l.bn_shift = tensor_index[op.scale_off], tensor_index[op.shift_off]
    for i, t in ipairs(net.state_tensors) do
      if t.offset == op.mean_off then l.bn_mean = i - 1 end
      if t.offset == op.var_off then l.bn_var = i - 1 end
    end
    l.bn_eps, l.bn_momentum = op.bn.eps, op.bn.momentum
  end
  return l
end

--- The fewest pieces the convolutions' backward cuts one image into when a
-- rank has fewer images than threads (conv_backward.c's _backward_split):
-- a band of BWR rows for the first conv's backward-weights, a row of one
-- channel block for the others' (direct), a tile row's output blocks for
-- Winograd's; a row, or a tile row's input blocks, for backward-data.
local function backward_pieces(net)
  local fewest = math.huge
  for _, op in ipairs(net.conv_ops) do
    local weights = op.first and op.H // op.BWR or op.H * op.KB
    fewest = math.min(fewest, op.wino_bwd_w and op.TH * op.KB or weights)
    if not op.first then fewest = math.min(fewest, op.wino_bwd_d and op.TH * op.CB or op.H) end
  end
  return fewest == math.huge and 1 or fewest
end

--- The layer table for the runtime and the reference tests, and the
-- network facts the config checks compare with.
local function describe_layers(net)
  local tensor_index = {}
  for i, t in ipairs(net.tensors) do tensor_index[t.internal] = i - 1 end
  net.layer_infos = {}
  for _, op in ipairs(net.ops) do net.layer_infos[#net.layer_infos + 1] = layer_info(net, op, tensor_index) end

  local pooled, filters, fc = 0, nil, 0
  for _, op in ipairs(net.conv_ops) do
    if op.pool then pooled = pooled + 1 end
    if filters == nil then filters = op.K elseif filters ~= op.K then filters = -1 end
  end
  if #net.dense_ops > 1 then fc = net.dense_ops[1].OUT end
  net.backward_pieces = backward_pieces(net)
  net.facts = { num_pooled_convs = pooled, num_filters = filters, num_fc_units = fc,
                global_avgpool = net.head.kind == "avgpool" and 1 or 0 }
end

--- The memory plan's summary lines, for the generated header.
local function summarise_memory(net)
  local th = net.thread
  local function mib(bytes) return string.format("%.2f MiB", bytes / 1048576) end
  local function line(field, ctype, shape, size) return string.format("%-14s %-8s %-60s %s", field, ctype, shape, size) end
  for _, b in ipairs(net.buffers) do
    b.summary = line(b.field, b.ctype, b.shape, b.per_image and (mib(b.per_image) .. " per image") or mib(b.fixed))
  end
  local padding = net.num_internal > net.num_params
    and string.format(" (%d parameters, dense weight rows padded)", net.num_params) or ""
  table.insert(net.buffers, 1, { summary = line("params, grads", "float",
    string.format("[%d] each%s", net.num_internal, padding), mib(net.num_internal * 4) .. " each") })
  table.insert(net.buffers, 2, { summary = line("x0", "float",
    string.format("[N][%d][%d][%d] input, zero border", net.input.h + 2, net.input.w + 2, net.input.c),
    mib(net.x0_floats * 4) .. " per image") })
  net.buffers[#net.buffers + 1] = { summary = line("dhead[2]", "float",
    string.format("[%d][N] dense gradients, ping-pong", net.head_width), mib(net.head_width * 8) .. " per image") }
  net.buffers[#net.buffers + 1] = { summary = line("per thread", "float",
    string.format("tile %d, dy %d, dout 2x%d,%s sink %d, wino %d, wgroup %d, wgrad %d, pack %d, patch %d, grad %d",
      th.tile, th.dy, th.dout, th.pair > 0 and string.format(" pair %d,", th.pair) or "", th.sink, th.wino, th.wgroup,
      th.wgrad, th.pack, th.patch, net.conv_params),
    mib(net.thread_floats * 4) .. " per thread") }
end

function M.plan(net, arch)
  local ctx = plan_context(net, arch)
  plan_layers(net, ctx)
  plan_shared_buffers(net, ctx)
  net.kernel_groups = M.kernel_groups(net.kernels)
  net.ones_len = ctx.ones_len
  net.x0_floats = (net.input.h + 2) * (net.input.w + 2) * net.input.c
  local th = net.thread
  -- A conv whose backward-data takes two whole images (WDI, gen/shapes.lua)
  -- has the backward take its images in pairs (templates/model.c): the
  -- second image's output gradients, and the first one's pre-pool gradient
  -- while the second one's is made, need areas of their own (never with
  -- batch norm: gen/shapes.lua keeps its network's groups to one image).
  net.backward_pairs = false
  for _, op in ipairs(net.conv_ops) do net.backward_pairs = net.backward_pairs or op.WDI == 2 end
  th.pair = net.backward_pairs and th.dy + 2 * th.dout or 0
  net.thread_floats = th.tile + th.dy + 2 * th.dout + th.pair + th.sink + th.wino + th.wgroup + th.wgrad + th.pack
    + th.patch + net.conv_params
  describe_layers(net)
  summarise_memory(net)
  return net
end

return M
