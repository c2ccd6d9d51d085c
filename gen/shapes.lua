--- Validate a loaded network and infer every shape: turns the flat layer list
-- into the fused operations the emitter knows (a conv with its ReLU, pool
-- and dropout epilogue; the head; dense layers with theirs; the loss).
-- Collects every error it can find; on error returns nil, errors.
local tuning_keys = require("tuning")

local M = {}

local function is_pos_int(v) return math.type(v) == "integer" and v > 0 end

local show = require("dsl").show

-- Upper bounds that keep every generated index (C int arithmetic on one
-- image's tensors and on the parameters) far from overflow.
local MAX_SIDE, MAX_CHANNELS, MAX_UNITS = 8192, 4096, 1 << 20
local MAX_ELEMENTS = (1 << 31) - 1
-- conv algorithms by Winograd F(T x T, 3x3): the output tile side T
local WINOGRAD_TILE = { winograd2 = 2, winograd4 = 4, winograd6 = 6, winograd8 = 8 }
M.WINOGRAD_TILE = WINOGRAD_TILE
-- every algorithm a conv may take, by its name in network and tuning files
M.ALGORITHM_NAMES = { "direct", "winograd2", "winograd4", "winograd6", "winograd8" }
local ALGORITHMS = '"' .. table.concat(M.ALGORITHM_NAMES, '", "', 1, #M.ALGORITHM_NAMES - 1) .. '" or "'
  .. M.ALGORITHM_NAMES[#M.ALGORITHM_NAMES] .. '"'

--- Tiles of side T along n pixels, the last one partial where T does not divide n.
function M.tiles_along(n, T) return (n + T - 1) // T end
-- a conv's three passes, by their names in tuning files
local PASSES = tuning_keys.PASSES

--- Whether Winograd F(T x T, 3x3) can compute this conv: its input channels
-- come in blocks (not the first conv). An output side that is not a
-- multiple of T ends in partial tiles, computed whole over zeros past the
-- border and cut (an even T keeps every 2x2 pool window in one tile).
local function winograd_fits(op, T)
  return T ~= nil and not op.first
end
M.winograd_fits = winograd_fits

--- Whether the output is whole T x T tiles: the cost model's condition
-- (partial tiles do products for the pixels past the edge; a tuning file or
-- the network file may still ask for them).
local function whole_tiles(op, T)
  return winograd_fits(op, T) and op.H % T == 0 and op.W % T == 0
end

local function chunk_width(w, max_chunk)
  for c = math.min(w, max_chunk), 1, -1 do
    if w % c == 0 then return c end
  end
  return 1
end
M.chunk_width = chunk_width

--- Backward row band: a divisor of H, even under a 2x2 pool (whole
-- windows), with at least `rows` rows and enough that the band spans ~224
-- pixels (small images); call_rows below splits it for backward-weights.
local function band_rows(op, rows)
  local target = math.max(rows, (224 + op.W - 1) // op.W)
  local below, above
  for r = 1, op.H do
    if op.H % r == 0 and (not op.pool or r % 2 == 0) then
      if r <= target then below = r end
      if r >= target and not above then above = r end
    end
  end
  return above or below
end
M.band_rows = band_rows

--- Rows of the band one direct backward-weights call reduces over: the
-- fewest (a divisor of the band's) that give the call the arch's
-- bwd_weight_call_pixels (its k, rows x width), as far as the output
-- gradient (rows x width x block floats, at least one row) fits
-- bwd_weight_call_bytes; the most that fit where the arch sets no pixels;
-- the whole band where it sets no bytes, and for the first conv, whose 3
-- input channels are one register pass over the rows.
local function call_rows(op, bytes, pixels)
  if not bytes or op.first then return op.BWR end
  local best = 1
  for r = 1, op.BWR do
    if op.BWR % r == 0 then
      if r > 1 and r * op.W * op.B * 4 > bytes then break end
      best = r
      if pixels and r * op.W >= pixels then break end
    end
  end
  return best
end

-- The tuning keys of groups of whole tile rows that one Winograd product
-- call takes (templates/conv_winograd.c's _wino_group): the pass each is
-- for, and the field the generator gives the group's size.
local ROW_GROUPS = {
  { key = "wfg", field = "WFG", pass = "forward", wino = "wino_fwd", images = "WFI" },
  { key = "wdg", field = "WDG", pass = "backward-data", wino = "wino_bwd_d", images = "WDI", most_images = 2 },
}

--- A tuning file's values for this conv (gen/tuning.lua), checked; returns
-- an error message naming the file and key when one cannot be used.
local function apply_tuning(op, tuning, net)
  op.WC_src, op.BWR_src, op.tuned_groups = "default", "default", {}
  local key = tuning and tuning_keys.key(op, op.B)
  local entry = key and tuning.convs and tuning.convs[key]
  if not entry then return nil end
  local src = entry.src or tuning.path   -- the file, and the host's section where the entry is from one
  local where = string.format("%s: convs[%q]", src, key)
  if entry.wc then
    if op.W % entry.wc ~= 0 then
      return string.format("%s.wc = %d does not divide the width %d of layer %s (%s:%d)", where, entry.wc, op.W,
        op.name, net.file, op.line or 0)
    end
    op.WC, op.WC_src = entry.wc, src
  end
  if entry.bwr then
    if op.H % entry.bwr ~= 0 or (op.pool and entry.bwr % 2 ~= 0) then
      return string.format("%s.bwr = %d must divide the height %d of layer %s%s (%s:%d)", where, entry.bwr, op.H,
        op.name, op.pool and " and be even (2x2 pool)" or "", net.file, op.line or 0)
    end
    op.BWR, op.BWR_src = entry.bwr, src
  end
  if entry.bwc then op.tuned_bwc, op.tuned_bwc_where, op.tuned_bwc_src = entry.bwc, where, src end
  if entry.wg then op.tuned_wg, op.tuned_wg_where, op.tuned_wg_src = entry.wg, where, src end
  for _, g in ipairs(ROW_GROUPS) do
    if entry[g.key] then
      op.tuned_groups[g.key] = { value = entry[g.key], where = where, src = src }
    end
  end
  if entry.bwd_w_code then
    op.tuned_bwd_w_code, op.tuned_bwd_w_code_where, op.tuned_bwd_w_code_src = entry.bwd_w_code, where, src
  end
  if op.algorithm == "auto" and entry[PASSES[1]] then
    local tile
    op.tuned_passes, op.tuned_src = {}, src
    for _, pass in ipairs(PASSES) do
      local algo = entry[pass]
      local T = WINOGRAD_TILE[algo]
      if algo ~= "direct" and not T then
        return string.format("%s.%s = %s is not %s", where, pass, show(algo), ALGORITHMS)
      elseif T and (tile and tile ~= T or not winograd_fits(op, T)) then
        return string.format("%s.%s = %q: layer %s (%s:%d) cannot take it (%s)", where, pass, algo, op.name, net.file,
          op.line or 0, tile and tile ~= T and "one Winograd tile per layer" or "see the network language's algorithm key")
      end
      tile = tile or T
      op.tuned_passes[pass] = algo
    end
  end
  return nil
end

--- How the first dense layer's backward-data reads its weight
-- (op.BWD_D_PLACE, "packed" or "in_place", gen/layers/dense.lua), and its
-- forward's inputs per call (op.FWD_KC, nil for the default): the tuning
-- file's (its form checked on loading), else packed and the default.
-- Returns an error message naming the file and key when kc cannot be used.
local function apply_dense_tuning(op, tuning, net)
  local key = tuning_keys.dense_key(op)
  local entry = tuning and tuning.denses and tuning.denses[key]
  op.BWD_D_PLACE, op.BWD_D_PLACE_src, op.FWD_KC_src = "packed", "default", "default"
  if not entry then return nil end
  local src = entry.src or tuning.path
  op.BWD_D_PLACE, op.BWD_D_PLACE_src = entry.bwd_d, src
  if entry.kc then
    if op.IN % entry.kc ~= 0 then
      return string.format("%s: denses[%q].kc = %d does not divide the %d inputs of layer %s (%s:%d)", src, key,
        entry.kc, op.IN, op.name, net.file, op.line or 0)
    end
    op.FWD_KC, op.FWD_KC_src = entry.kc, src
  end
  return nil
end

--- The algorithm of each of a conv's passes: the network file's, else the
-- tuning file's, else the cost model's: Winograd removes the most
-- multiplications with the largest tile that makes whole tiles of F(4x4)
-- and F(2x2), 4x and 2.25x fewer (measured faster than direct in every pass
-- on the layers of hep64 and hep224, docs/DESIGN.md); F(6x6) where that,
-- partial tiles counted, does F6_GAIN fewer products still on a layer at
-- least F6_MIN_TILES tiles wide (hep224's conv2 at 112x112: 18% fewer,
-- measured 10-13% faster per pass in native code and 5-8% in hsw code; at
-- 56x56 and 28x28, 9% fewer, it was no faster, and at 32x32 as many
-- products in smaller GEMMs were 30-60% slower); and F(8x8), 5.8x fewer,
-- where it makes whole tiles at least F8_MIN_TILES wide (hep64's conv2 at
-- 32x32: 31% fewer products than F(4x4), its three passes 16 ms faster in
-- native code, 7 ms in knl code; hep224's conv3 at 56x56 4-7 ms; at 16x16,
-- 2 tiles a row, its backward-data was 1.5-2x slower, each tile row
-- streaming the 6.5 MB of transformed weights), on an arch whose
-- backward-weights groups whole images (wino_bwd_images): F(8x8)'s dU is
-- 6.5 MB a thread for 128 x 128 channels, and hsw's groups of one image's
-- 16 tiles made hep64's step 2-3 ms slower with it (4 pairs). Sets op.passes,
-- op.algorithm_src and op.wino (the Winograd tile, or nil when every pass
-- is direct) with op.wino_fwd, op.wino_bwd_d, op.wino_bwd_w.
local F6_GAIN, F6_MIN_TILES, F8_MIN_TILES = 0.15, 8, 4
local function winograd_products(op, T)
  return M.tiles_along(op.H, T) * M.tiles_along(op.W, T) * (T + 2) * (T + 2)
end

local function cost_model(op)
  if op.wino_bwd_images and whole_tiles(op, 8) and op.W >= 8 * F8_MIN_TILES and op.H >= 8 * F8_MIN_TILES then
    return "winograd8", "cost model"
  end
  local best
  for _, T in ipairs({ 4, 2 }) do
    if whole_tiles(op, T) then best = T; break end
  end
  if best and winograd_fits(op, 6) and op.W >= 6 * F6_MIN_TILES and op.H >= 6 * F6_MIN_TILES
      and winograd_products(op, 6) <= (1 - F6_GAIN) * winograd_products(op, best) then
    best = 6
  end
  if not best then return "direct", "cost model: no Winograd tile fits" end
  return "winograd" .. best, "cost model"
end

local function choose_algorithm(op, net)
  local algo, src = op.algorithm, string.format("%s:%d", net.file, op.line or 0)
  if op.tuned_passes then
    op.passes, op.algorithm_src = op.tuned_passes, op.tuned_src
  else
    if algo == "auto" then algo, src = cost_model(op) end
    op.passes, op.algorithm_src = {}, src
    for _, pass in ipairs(PASSES) do op.passes[pass] = algo end
  end
  for _, pass in ipairs(PASSES) do op.wino = op.wino or WINOGRAD_TILE[op.passes[pass]] end
  op.wino_fwd = op.passes.forward ~= "direct"
  op.wino_bwd_d = op.passes.backward_data ~= "direct"
  op.wino_bwd_w = op.passes.backward_weights ~= "direct"
end

--- Winograd backward-weights transforms WG tile rows of an image at a time
-- and then runs their products (one batch-reduce call per position and block
-- pair over the group's tiles; the image's last group may be shorter). A
-- group of more tile rows than the image has is a multiple of them: whole
-- images (WI of them) of the thread's, whose products wait until the group
-- is full or the thread's last image is in. The tuning file's wg, else the
-- fewest tile rows with at least WINO_BWD_TILES tiles, among the divisors of
-- the tile rows with at most WINO_BWD_MAX_TILES where there is one, and
-- (on an arch that sets wino_bwd_images, gen/arch.lua) whole images where
-- one has at most half as many. Which is faster depends
-- on the layer (in `make tune`, hep224's conv3 was 11% faster with 28 tiles
-- than 98; hep64's conv2 16% slower with 32 than 64; in tools/tune_model,
-- hep224's conv5, 16 tiles an image, 10% faster by 4 images, its conv4, 49
-- tiles, 2% by 2 images for 3 MiB more per thread), so the tuner times it.
-- Returns an error naming the file and key, or nil.
-- WINO_BWD_TILES: fewer tiles per call make its gradient block's load and
-- store dominate (a group's calls reread and rewrite the whole transformed
-- gradient, 2.25 MiB for F(4x4) at 128 channels). WINO_BWD_MAX_TILES bounds
-- the group's scratch (F(6x6)'s 19 tile rows of 19 at 112x112 would
-- otherwise make one group of 361).
local WINO_BWD_TILES, WINO_BWD_MAX_TILES = 56, 4 * 56
M.WINO_BWD_MAX_TILES = WINO_BWD_MAX_TILES

--- The rows per direct backward-weights call: a tuning entry's, checked
-- against the layer's band and algorithm, else call_rows' default.
local function choose_call_rows(op, net, arch)
  op.BWC, op.BWC_src = call_rows(op, arch.bwd_weight_call_bytes, arch.bwd_weight_call_pixels), "default"
  local bwc = op.tuned_bwc
  if not bwc then return nil end
  if op.wino_bwd_w then
    -- measured for the entry's own direct pass: left unused where the network
    -- file names the algorithm (as wg is), refused where the entry or the cost model gives Winograd
    if op.algorithm ~= "auto" then return nil end
    return string.format("%s.bwc = %d: layer %s (%s:%d) has a Winograd backward-weights pass (bwc is for the direct one's)",
      op.tuned_bwc_where, bwc, op.name, net.file, op.line or 0)
  end
  if op.BWR % bwc ~= 0 then
    return string.format("%s.bwc = %d must divide the backward rows %d of layer %s (%s:%d)", op.tuned_bwc_where, bwc,
      op.BWR, op.name, net.file, op.line or 0)
  end
  op.BWC, op.BWC_src = bwc, op.tuned_bwc_src
  return nil
end

--- The default Winograd forward and backward-data group of conv op by
-- F(T x T), in whole tile rows of an image: the fewest (a divisor of the
-- tile rows) that hold ROW_GROUP_TILES tiles, among groups of at most
-- M.ROW_GROUP_MAX_TILES; the largest of those where none reaches it.
-- ROW_GROUP_TILES: each product call's n. By single tile rows hep64's
-- F(8x8) conv2 (4 rows of 4 tiles) and F(4x4) conv3 (4 of 4) make calls
-- of n = 4, which left the shapes no tuning entry covers (hep64_4class's
-- at block 64, a network of new widths) 20% slower a step on an Intel host
-- (2 MiB L2) than by whole images (ab_models, hep64 skx with no entries,
-- 2026-12-06: 120.6-121.6 ms least steps against 96.2-97.5; conv2's forward
-- 26.3-26.9 ms against 18.7-19.3, its backward-data 26.2-26.5 against
-- 17.4-17.5, conv3's 7.2-7.3 and 8.1-8.2 against 4.8-4.9 and 5.5, while
-- the backward-weights passes, beside the larger scratch, took 2-7% more).
-- `make tune` found the same on the hosts it ran: its entries took groups
-- of 8 to 64 tiles (hep64's conv2 and conv3, hep224's conv4; tuning/). A row of
-- hep224's 112x112 conv2 (28 tiles by F(4x4)) is already enough: there
-- groups of 2 rows were 7% slower. M.ROW_GROUP_MAX_TILES: past 64 tiles V
-- and M outgrow the L2 (hep224's conv3 by groups of 98 tiles: forward 4%
-- and backward-data 7% slower than by 28).
local ROW_GROUP_TILES = 16
M.ROW_GROUP_MAX_TILES = 64
function M.default_row_group(op, T)
  local TH, TW = M.tiles_along(op.H, T), M.tiles_along(op.W, T)
  local best = 1
  for g = 1, TH do
    if TH % g == 0 and g * TW <= M.ROW_GROUP_MAX_TILES then
      best = g
      if g * TW >= ROW_GROUP_TILES then return g end
    end
  end
  return best
end

--- The Winograd forward's and backward-data's groups of whole tile rows
-- (WFG, WDG): the tuning file's wfg and wdg, else M.default_row_group. A
-- group serves each block of the transformed weights, read back from
-- beyond L2 for every chunk, to WFG rows of tiles: on a host whose L3 is
-- slow that read bounds the products (hep64's F(8x8) conv2 on an Intel
-- host, inference: 38-40 ms a batch by chunks of 4 tiles, 28-31 by whole
-- images of 16; training's forward 39-43 and 31-34). A multiple of the
-- tile rows takes whole images (WFI, WDI images of WFG, WDG = all the tile
-- rows); backward-data's at most two, as the backward then takes its
-- images in pairs (templates/model.c), and one in a network with batch
-- norm (net_bn), whose backward takes each image alone. Returns an error
-- naming the file and key, or nil.
local function choose_row_groups(op, net, net_bn)
  for _, g in ipairs(ROW_GROUPS) do
    op[g.field], op[g.field .. "_src"] = op[g.wino] and M.default_row_group(op, op.wino) or 1, "default"
    op[g.images] = 1
    local tuned = op.tuned_groups[g.key]
    if tuned and op.algorithm == "auto" then
      if not op[g.wino] then
        return string.format("%s.%s = %d: layer %s (%s:%d) has a direct %s pass (%s is for Winograd's)",
          tuned.where, g.key, tuned.value, op.name, net.file, op.line or 0, g.pass, g.key)
      end
      local TH, TW = M.tiles_along(op.H, op.wino), M.tiles_along(op.W, op.wino)
      local most = math.min(M.ROW_GROUP_MAX_TILES // (TH * TW), g.most_images or math.huge) * TH
      local images = tuned.value > TH and tuned.value % TH == 0 and tuned.value <= most
      if TH % tuned.value ~= 0 and not images then
        return string.format("%s.%s = %d: layer %s's Winograd F(%dx%d) has %d tile rows (%s:%d); %s must divide them%s",
          tuned.where, g.key, tuned.value, op.name, op.wino, op.wino, TH, net.file, op.line or 0, g.key,
          string.format(g.most_images and ", or twice them (two whole images) if that is at most %d tiles"
            or ", or be a multiple of them (whole images) of at most %d tiles", M.ROW_GROUP_MAX_TILES))
      end
      op[g.field], op[g.field .. "_src"] = tuned.value, tuned.src
      if images then
        -- batch norm's conv pass keeps its own order (conv_winograd.c), and
        -- a network with batch norm goes back layer by layer, each image
        -- alone (templates/model.c): one image a group
        local one = op.bn or (g.most_images and net_bn)
        op[g.field], op[g.images] = TH, one and 1 or tuned.value // TH
        if one then
          op[g.field .. "_src"] = tuned.src .. (op.bn and "; one image: batch norm" or "; one image: the network's batch norm")
        end
      end
    end
  end
  return nil
end

--- The Winograd backward-weights group (WG tile rows, WI images) and, from
-- a tuning file only, the code of its products (WBW_CODE).
local function choose_winograd_group(op, net, arch)
  op.WG, op.WG_src = nil, "default"
  -- An entry's group was measured for the entry's own algorithm (or the
  -- cost model's, in an entry without one): where the network file names
  -- the algorithm, as hep224_direct does for hep224's shapes, it is not used.
  if op.algorithm ~= "auto" then op.tuned_wg, op.tuned_bwd_w_code = nil, nil end
  if not op.wino_bwd_w then
    if op.tuned_wg then
      return string.format("%s.wg = %d: layer %s (%s:%d) has a direct backward-weights pass (wg is for Winograd's)",
        op.tuned_wg_where, op.tuned_wg, op.name, net.file, op.line or 0)
    end
    if op.tuned_bwd_w_code then
      return string.format("%s.bwd_w_code = %q: layer %s (%s:%d) has a direct backward-weights pass (bwd_w_code is for "
        .. "Winograd's)", op.tuned_bwd_w_code_where, op.tuned_bwd_w_code, op.name, net.file, op.line or 0)
    end
    return nil
  end
  local T = op.wino
  local TH = M.tiles_along(op.H, T)
  if op.tuned_wg then
    local wg, TW = op.tuned_wg, M.tiles_along(op.W, T)
    if wg > TH and (wg % TH ~= 0 or wg * TW > WINO_BWD_MAX_TILES) then
      return string.format("%s.wg = %d: layer %s's Winograd F(%dx%d) has %d tile rows of %d tiles (%s:%d); a group "
        .. "of more is whole images, a multiple of %d of at most %d tiles", op.tuned_wg_where, wg, op.name, T, T, TH,
        TW, net.file, op.line or 0, TH, WINO_BWD_MAX_TILES)
    end
    op.WG, op.WG_src = wg, op.tuned_wg_src
  else
    op.WG = M.default_group(op, T)
  end
  op.WI = op.WG > TH and op.WG // TH or 1
  if op.tuned_bwd_w_code then
    if arch.vector_floats ~= 16 then
      return string.format("%s.bwd_w_code = %q: arch %s's code is AVX2 already (bwd_w_code is for an AVX-512 arch's)",
        op.tuned_bwd_w_code_where, op.tuned_bwd_w_code, arch.name)
    end
    op.WBW_CODE, op.WBW_CODE_src = op.tuned_bwd_w_code, op.tuned_bwd_w_code_src
  end
  return nil
end

--- The default Winograd backward-weights group (tile rows) of conv op
-- (H x W; wino_bwd_images, its arch's) by F(T x T).
function M.default_group(op, T)
  local TH, TW = M.tiles_along(op.H, T), M.tiles_along(op.W, T)
  for g = 1, TH do
    if TH % g == 0 and g * TW >= WINO_BWD_TILES and g * TW <= WINO_BWD_MAX_TILES then return g end
  end
  if op.wino_bwd_images and 2 * TH * TW <= WINO_BWD_TILES then
    return TH * ((WINO_BWD_TILES + TH * TW - 1) // (TH * TW))
  end
  return math.min(TH, (WINO_BWD_TILES + TW - 1) // TW)
end

-- BN_MOMENTUM: PyTorch's meaning (the weight of the batch's statistics in the
-- running averages) and default. BN_EPS: the original benchmark's
-- variance_epsilon.
local BN_MOMENTUM, BN_EPS = 0.1, 1e-4

--- A batchnorm layer's keys, checked: {name, line, momentum, eps} or nil.
local function check_batchnorm(l, fail)
  local momentum, eps = l.args.momentum or BN_MOMENTUM, l.args.eps or BN_EPS
  local good = true
  if type(momentum) ~= "number" or not (momentum > 0 and momentum <= 1) then
    fail(l, "'momentum' must be a number in (0, 1] (the weight of each batch in the running averages), got %s",
      show(momentum)); good = false
  end
  if type(eps) ~= "number" or not (eps > 0 and eps < 1) then
    fail(l, "'eps' must be a number in (0, 1), got %s", show(eps)); good = false
  end
  return good and { name = l.name, line = l.line, momentum = momentum, eps = eps } or nil
end

--- The layer list being read, front to back: `take(kind)` consumes the next
-- layer when it is of that kind; `fail` adds an error naming the file, line
-- and layer; `dropouts` numbers the dropout layers (one RNG stream each, in
-- file order).
local function layer_reader(net)
  local r = { net = net, layers = net.layers, i = 1, errors = {}, dropouts = 0 }
  function r.fail(layer, fmt, ...)
    r.errors[#r.errors + 1] = string.format("%s:%d: layer %s: " .. fmt, net.file, layer.line or 0, layer.name, ...)
  end
  function r.next() return r.layers[r.i] end
  function r.take(kind)
    local l = r.layers[r.i]
    if l and l.kind == kind then r.i = r.i + 1; return l end
    return nil
  end
  function r.take_dropout()
    if not r.take("dropout") then return nil end
    r.dropouts = r.dropouts + 1
    return r.dropouts
  end
  return r
end

--- The input layer: its shape {c, h, w}, or nil with the errors recorded.
local function read_input(r)
  local first, net = r.next(), r.net
  if not first or first.kind ~= "input" then
    r.errors[#r.errors + 1] = string.format("%s:%d: network %s: the first layer must be input { channels=, height=, width= }",
      net.file, (first and first.line) or net.line or 0, tostring(net.name))
    return nil
  end
  for _, k in ipairs({ "channels", "height", "width" }) do
    local v, max = first.args[k], k == "channels" and MAX_CHANNELS or MAX_SIDE
    if not is_pos_int(v) then
      r.fail(first, "'%s' must be a positive integer, got %s", k, show(v))
    elseif v > max then
      r.fail(first, "'%s' = %d is larger than the generator supports (%d)", k, v, max)
    end
  end
  if #r.errors > 0 then return nil end
  r.take("input")
  return { c = first.args.channels, h = first.args.height, w = first.args.width }
end

--- A conv's own keys against the shape it reads (cur): whether they can be used.
local function check_conv_args(r, l, cur)
  local a, ok = l.args, true
  if not is_pos_int(a.filters) then
    r.fail(l, "'filters' must be a positive integer, got %s", show(a.filters)); ok = false
  elseif a.filters > MAX_CHANNELS then
    r.fail(l, "'filters' = %d is larger than the generator supports (%d)", a.filters, MAX_CHANNELS); ok = false
  end
  if a.size ~= nil and a.size ~= 3 then
    r.fail(l, "'size' = %s is not supported: only 3x3 convolutions are generated", show(a.size)); ok = false
  end
  if a.stride ~= nil and a.stride ~= 1 then
    r.fail(l, "'stride' = %s is not supported: only stride 1", show(a.stride)); ok = false
  end
  if a.padding ~= nil and a.padding ~= "same" then
    r.fail(l, "'padding' = %s is not supported: only \"same\"", show(a.padding)); ok = false
  end
  local elements = math.max(cur.c, ok and a.filters or 1) * (cur.h + 2) * (cur.w + 2)
  if elements > MAX_ELEMENTS then
    r.fail(l, "one image's tensor here has %d elements, more than the generator supports (%d)",
      elements, MAX_ELEMENTS); ok = false
  end
  return ok
end

-- what a network file's `algorithm` may say, for its error message
local NETWORK_ALGORITHMS = (function()
  local parts = { "\"auto\" (the tuning file's choice, else the cost model's)" }
  for _, name in ipairs(M.ALGORITHM_NAMES) do
    local T = WINOGRAD_TILE[name]
    parts[#parts + 1] = T and string.format("%q (%sF(%dx%d,3x3))", name, T == 2 and "Winograd " or "", T, T)
      or string.format("%q", name)
  end
  return table.concat(parts, ", ")
end)()

--- The conv's `algorithm` key into op.algorithm: whether it can be used.
local function check_algorithm(r, l, op)
  op.algorithm = l.args.algorithm or "auto"
  local tile = WINOGRAD_TILE[op.algorithm]
  if op.algorithm ~= "direct" and op.algorithm ~= "auto" and not tile then
    r.fail(l, "'algorithm' = %s is not one of %s", show(l.args.algorithm), NETWORK_ALGORITHMS); return false
  elseif tile and not winograd_fits(op, tile) then
    r.fail(l, "algorithm %q needs a conv that is not the first (its input channels come in blocks)", op.algorithm)
    return false
  end
  return true
end

--- A max-pool after a conv that reads cur (the only kind: 2x2, stride 2):
-- whether it can be used.
local function check_pool(r, p, cur)
  local ps, pst = p.args.size or 2, p.args.stride or p.args.size or 2
  if ps ~= 2 or pst ~= 2 then
    r.fail(p, "only 2x2 max-pool with stride 2 is supported (got size %s, stride %s)", show(ps), show(pst))
    return false
  elseif cur.h % 2 ~= 0 or cur.w % 2 ~= 0 then
    r.fail(p, "2x2 max-pool on an odd size %dx%d: height and width must be even", cur.h, cur.w)
    return false
  end
  return true
end

--- One convolution block, conv [batchnorm] [relu] [maxpool] [dropout], on
-- the shape cur: its op (nil where a key is bad) and the shape it gives.
local function read_conv_block(r, cur, index)
  local l = r.take("conv")
  local ok = check_conv_args(r, l, cur)
  local op = { kind = "conv", name = l.name, line = l.line, index = index,
               C = cur.c, H = cur.h, W = cur.w, K = ok and l.args.filters or 1, first = (index == 1) }
  local bn = r.take("batchnorm")
  if bn then
    op.bn = check_batchnorm(bn, r.fail)
    if not op.bn then ok = false end
  end
  ok = check_algorithm(r, l, op) and ok
  op.relu = r.take("relu") ~= nil
  local p = r.take("maxpool")
  if p then
    ok = check_pool(r, p, cur) and ok
    op.pool = true
  end
  op.dropout = r.take_dropout()
  op.OH = op.pool and cur.h // 2 or cur.h
  op.OW = op.pool and cur.w // 2 or cur.w
  return ok and op or nil, { c = op.K, h = op.OH, w = op.OW }
end

--- The head after the last conv block: global average pool or flatten.
-- Its op and the features it gives, or nil (errors recorded).
local function read_head(r, cur)
  local head = r.next()
  if head and head.kind == "avgpool" then
    r.take("avgpool")
    if head.args.global == false then
      r.fail(head, "only global average pooling is supported (global = true)")
    end
    return { kind = "avgpool", name = head.name, line = head.line, C = cur.c, H = cur.h, W = cur.w, F = cur.c }
  elseif head and head.kind == "flatten" then
    r.take("flatten")
    return { kind = "flatten", name = head.name, line = head.line, C = cur.c, H = cur.h, W = cur.w,
             F = cur.c * cur.h * cur.w }
  elseif head and head.kind == "batchnorm" then
    r.fail(head, "batchnorm must directly follow a conv (conv, batchnorm, relu, maxpool, dropout)")
  else
    r.fail(head or r.layers[#r.layers], "after the convolutions the network needs avgpool {} or flatten {} (got %s)",
      head and head.kind or "end of network")
  end
  return nil
end

--- One dense block, dense [relu] [dropout], on f features: its op.
local function read_dense_block(r, f)
  local l = r.take("dense")
  local units = l.args.units
  if not is_pos_int(units) then
    r.fail(l, "'units' must be a positive integer, got %s", show(units)); units = nil
  elseif units > MAX_UNITS then
    r.fail(l, "'units' = %d is larger than the generator supports (%d)", units, MAX_UNITS); units = nil
  elseif f * units > MAX_ELEMENTS then
    r.fail(l, "%d x %d weights are more than the generator supports (%d)", f, units, MAX_ELEMENTS)
  end
  -- a bad units value is reported once: the loss check skips it
  local op = { kind = "dense", name = l.name, line = l.line, IN = f, OUT = units or 2, bad = not units }
  op.relu = r.take("relu") ~= nil
  op.dropout = r.take_dropout()
  return op
end

--- The loss after the last dense block (last_dense, or nil): its op, or
-- nil (errors recorded).
local function read_loss(r, last_dense)
  local loss = r.next()
  if not loss or loss.kind ~= "softmax_xent" then
    local l = loss or r.layers[#r.layers]
    if loss and loss.kind == "batchnorm" then
      r.fail(l, "batchnorm must directly follow a conv (conv, batchnorm, relu, maxpool, dropout)")
    elseif loss and (loss.kind == "relu" or loss.kind == "maxpool" or loss.kind == "dropout") then
      r.fail(l, "%s must directly follow a conv (or, for relu and dropout, a dense)", loss.kind)
    else
      r.fail(l, "expected dense {units=K} followed by softmax_xent {} (got %s)", loss and loss.kind or "end of network")
    end
    return nil
  end
  r.take("softmax_xent")
  if not last_dense then
    r.fail(loss, "softmax_xent needs a dense layer before it (its units are the classes)")
  elseif last_dense.relu or last_dense.dropout then
    r.fail(loss, "the dense layer before softmax_xent (%s) must have no relu or dropout: it gives the logits", last_dense.name)
  elseif last_dense.OUT < 2 and not last_dense.bad then
    r.fail(loss, "the classifier %s has %d unit(s): at least 2 classes are needed", last_dense.name, last_dense.OUT)
  end
  if r.next() then r.fail(r.next(), "nothing may follow softmax_xent") end
  if #r.errors > 0 then return nil end
  return { kind = "softmax_xent", name = loss.name, line = loss.line, classes = last_dense.OUT }
end

--- The fused ops of the whole layer list, in order, and the input shape;
-- or nil (errors recorded in r).
local function read_ops(r)
  local input = read_input(r)
  if not input then return nil end
  local cur = input
  local ops, nconv = {}, 0
  while r.next() and r.next().kind == "conv" do
    nconv = nconv + 1
    local op
    op, cur = read_conv_block(r, cur, nconv)
    ops[#ops + 1] = op
  end
  if nconv == 0 then
    r.fail(r.next() or r.layers[1], "expected a conv after the input (got %s)", r.next() and r.next().kind or "end of network")
    return nil
  end
  local head = read_head(r, cur)
  if not head then return nil end
  ops[#ops + 1] = head
  local f, last_dense = head.F, nil
  while r.next() and r.next().kind == "dense" do
    last_dense = read_dense_block(r, f)
    ops[#ops + 1] = last_dense
    f = last_dense.OUT
  end
  local loss = read_loss(r, last_dense)
  if not loss then return nil end
  ops[#ops + 1] = loss
  return ops, input
end

--- The channels a max-pool's mask takes at a time: it holds 4 bits a
-- channel, as four 16-bit planes per group of this many (runtime/epilogue.h),
-- so a max-pooled conv's channel block is a multiple of it.
M.POOL_MASK_GROUP = 16

--- Whether channel block b can carry conv op: it divides the filters, and
-- under a max-pool it is a multiple of POOL_MASK_GROUP.
function M.block_fits(op, b)
  return op.K % b == 0 and (not op.pool or b % M.POOL_MASK_GROUP == 0)
end

--- Why no block of the arch fits the network: each conv that no block
-- fits, or, where each has one but none fits them all, every conv's.
local function block_errors(ops, net, arch)
  local errors, blocks, fitting = {}, table.concat(arch.channel_block, ", "), {}
  for _, op in ipairs(ops) do
    if op.kind == "conv" then
      local fits = {}
      for _, b in ipairs(arch.channel_block) do
        if M.block_fits(op, b) then fits[#fits + 1] = b end
      end
      fitting[#fitting + 1] = string.format("%s (%d filters%s): %s", op.name, op.K, op.pool and ", max-pooled" or "",
        #fits > 0 and table.concat(fits, ", ") or "none")
      if #fits == 0 then
        local smallest = arch.channel_block[#arch.channel_block]
        local need = op.pool and math.max(smallest, M.POOL_MASK_GROUP) or smallest
        errors[#errors + 1] = string.format("%s:%d: layer %s: filters = %d must be a multiple of %d%s (arch %s channel "
          .. "blocks: %s)", net.file, op.line or 0, op.name, op.K, need, need > smallest and string.format(
          ", as its max-pool needs (its mask takes channels %d at a time)", M.POOL_MASK_GROUP) or "", arch.name, blocks)
      end
    end
  end
  if #errors == 0 then
    errors[1] = string.format("%s: no channel block of arch %s (%s) fits every conv; the blocks each fits: %s",
      net.file, arch.name, blocks, table.concat(fitting, "; "))
  end
  return errors
end

-- The folder above gen/, where networks/ and tests/nets/ are ("" when
-- gen/ is named from the project's folder, as make does).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*/)gen/[^/]*$")) or ""

--- The network file of network `name`: networks/NAME.lua, else
-- tests/nets/NAME.lua; nil where neither exists.
function M.network_file(name)
  for _, dir in ipairs({ "networks/", "tests/nets/" }) do
    local file = ROOT .. dir .. name .. ".lua"
    local h = io.open(file, "r")
    if h then
      h:close()
      return file
    end
  end
  return nil
end

--- A network's convs as one string of their tuning keys (at block 0, so
-- shapes alone compare) and the algorithms their network file names, from
-- its ops.
local function conv_signature(ops)
  local keys = {}
  for _, op in ipairs(ops) do
    if op.kind == "conv" then keys[#keys + 1] = tuning_keys.key(op, 0) .. " " .. op.algorithm end
  end
  return table.concat(keys, "; ")
end

--- The conv signature of the network file of a tuned network `name`
-- (networks/ or tests/nets/), or nil where there is none or it does not
-- read.
local function tuned_signature(name)
  local file = M.network_file(name)
  local net = file and require("dsl").load(file)
  local ops = net and read_ops(layer_reader(net))
  return ops and conv_signature(ops) or nil
end

--- For a network the tuning file names no block for: the block of a
-- network it does name whose convs are this one's, shape for shape and
-- algorithm for algorithm (a copy under another name, with another head or
-- with batch norm, as hep64_4class and hep64_bn are of hep64; not
-- hep64_wino, whose file names the algorithms), with the source to name;
-- nil where there is none. The tuning file keeps the entries of a block that
-- lost a later tune (skx's arch-wide B64 entries for hep64's shapes, from
-- 2026-11-30, beside the B32 ones hep64 has taken since 2026-12-04), so
-- entries alone (covering_block) do not tell the block that won.
local function copied_block(ops, tuning, misfit)
  local mine, names = conv_signature(ops), {}
  for name in pairs(tuning.networks or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local n = tuning.networks[name]
    if n.block and not misfit(n.block) and tuned_signature(name) == mine then
      return n.block, string.format("%s's block for %s, whose convs these are", n.src or tuning.path, name)
    end
  end
  return nil
end

--- For a network the tuning file names no block for and that copies no
-- network it names (copied_block): one that shares some convs with a tuned
-- one, such as hep64 with a fourth conv. The block whose conv entries
-- cover the most of its convs that leave the algorithm to the generator,
-- counting the build host's section first, with the source to name; nil
-- where no entry covers any. Without it hep64_4class (before copied_block
-- took it) had the default block 64 and the arch-wide entries, measured
-- on another CPU: on the Intel host (family 6 model 207), whose section
-- tunes hep64 at block 32, it trained 106.0-107.5 ms a step (least;
-- medians 115.2-116.3) against 100.3-102.8 (103.4-105.5) at block 32 with
-- the section's entries, most of it in conv2's backward-weights
-- (ab_models, skx, 2026-12-06).
local function covering_block(ops, arch, tuning, misfit)
  local best, best_host, best_all
  for _, b in ipairs(arch.channel_block) do
    if not misfit(b) then
      local host, all = 0, 0
      for _, op in ipairs(ops) do
        -- a conv whose network file names its algorithm uses little of an entry measured for another
        local entry = op.kind == "conv" and op.algorithm == "auto" and tuning.convs and tuning.convs[tuning_keys.key(op, b)]
        if entry then
          all = all + 1
          if entry.src then host = host + 1 end   -- from the host's section (tuning.for_host)
        end
      end
      if all > 0 and (not best or host > best_host or (host == best_host and all > best_all)) then
        best, best_host, best_all = b, host, all
      end
    end
  end
  if not best then return nil end
  return best, string.format("the block of %s's entries for its convs", best_host > 0 and tuning.host_src or tuning.path)
end

--- One channel block for the whole network: the tuning file's for the
-- network, else that of a tuned network with the same convs
-- (copied_block), else the block of the entries covering its convs
-- (covering_block), else the first of the arch's preferences that fits
-- every conv (M.block_fits). Returns block, where it came from, and a note
-- for the user or nil; or nil, errors. A tuning file's block that no
-- longer fits a conv (the network file was edited since `make tune`) gives
-- way to the default with a note, as a conv whose shape changed finds no
-- entry and takes the defaults.
local function choose_block(ops, net, arch, tuning)
  local function misfit(b)
    for _, op in ipairs(ops) do
      if op.kind == "conv" and not M.block_fits(op, b) then return op end
    end
    return nil
  end
  local tuned_net = tuning and tuning.networks and tuning.networks[net.name]
  if tuning and not tuned_net then
    local b, src = copied_block(ops, tuning, misfit)
    if not b then b, src = covering_block(ops, arch, tuning, misfit) end
    if b then return b, src end
  end
  local stale, src = nil, tuned_net and tuned_net.src or tuning and tuning.path
  if tuned_net and tuned_net.block then
    local allowed = false
    for _, b in ipairs(arch.channel_block) do allowed = allowed or b == tuned_net.block end
    if not allowed then
      return nil, { string.format("%s: networks[%q].block = %d must be one of arch %s's channel blocks (%s)",
        src, net.name, tuned_net.block, arch.name, table.concat(arch.channel_block, ", ")) }
    end
    stale = misfit(tuned_net.block)
    if not stale then return tuned_net.block, src end
  end
  for _, b in ipairs(arch.channel_block) do
    if not misfit(b) then
      if not stale then return b, "default" end
      local short, long   -- why the tuned block no longer fits, for model.c's header and for the note
      if stale.K % tuned_net.block ~= 0 then
        short = string.format("does not divide %s's filters", stale.name)
        long = string.format("does not divide the %d filters of layer %s (%s:%d), which changed since make tune "
          .. "measured it", stale.K, stale.name, net.file, stale.line or 0)
      else
        short = string.format("is below %s's max-pool's %d", stale.name, M.POOL_MASK_GROUP)
        long = string.format("is not a multiple of %d, as layer %s's max-pool needs (%s:%d)", M.POOL_MASK_GROUP,
          stale.name, net.file, stale.line or 0)
      end
      return b, string.format("default; %s's block %d %s", src, tuned_net.block, short),
        string.format("%s: networks[%q].block = %d %s: using the default block %d (make tune NET=%s ARCH=%s measures "
        .. "again)", src, net.name, tuned_net.block, long, b, net.name, arch.name)
    end
  end
  return nil, block_errors(ops, net, arch)
end

--- A conv's blocking and algorithms for the arch (channel block B), the
-- tuning file's where it has them. Returns an error message or nil.
local function plan_conv(op, B, net, arch, tuning, net_bn)
  op.B = B
  op.KB = op.K // B
  op.CB = op.first and 0 or op.C // B
  op.WC = chunk_width(op.W, arch.max_width_chunk)
  op.max_width_chunk = arch.max_width_chunk
  op.wino_bwd_images = arch.wino_bwd_images
  op.patches = op.first and arch.first_bwd_w_patches or nil
  op.flops = 2 * op.H * op.W * op.K * op.C * 9
  op.BWR = band_rows(op, arch.bwd_weight_rows)
  local err = apply_tuning(op, tuning, net)
  if err then return err end
  choose_algorithm(op, net)
  return choose_row_groups(op, net, net_bn) or choose_winograd_group(op, net, arch) or choose_call_rows(op, net, arch)
end

function M.infer(net, arch, tuning)
  local r = layer_reader(net)
  local ops, input = read_ops(r)
  if not ops then return nil, r.errors end
  local block, block_src, block_note = choose_block(ops, net, arch, tuning)
  if not block then return nil, block_src end

  local flops, has_bn, seen_dense = 0, false, false
  for _, op in ipairs(ops) do has_bn = has_bn or op.bn ~= nil end
  for _, op in ipairs(ops) do
    if op.kind == "conv" then
      local err = plan_conv(op, block, net, arch, tuning, has_bn)
      if err then return nil, { err } end
      flops = flops + op.flops
    elseif op.kind == "dense" then
      op.forward_outputs = arch.dense_forward_outputs
      op.backward_outputs = arch.dense_backward_outputs
      op.first_dense = not seen_dense
      seen_dense = true
      local err = op.first_dense and apply_dense_tuning(op, tuning, net)
      if err then return nil, { err } end
      op.flops = 2 * op.IN * op.OUT
      flops = flops + op.flops
    end
  end
  -- A training step is forward + backward-data + backward-weights, less the
  -- first layer's backward-data (the input needs no gradient).
  local train_flops = 3 * flops - ops[1].flops
  return {
    name = net.name, file = net.file, input = input, ops = ops, block = block, block_src = block_src,
    classes = ops[#ops].classes, flops_forward = flops, flops_train = train_flops,
    num_dropout = r.dropouts, has_bn = has_bn, notes = { block_note },
  }
end

return M
