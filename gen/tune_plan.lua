--- What `make tune` tries and how it chooses (no I/O here; gen/tune.lua
-- builds and times). For each channel block the arch offers (the first two
-- that divide every conv's filters), candidates vary one knob at a time for
-- every conv at once (candidates whose knobs change different passes share
-- a build: M.pack):
--   width chunk (GEMM n of forward and backward-data): the arch's maximum,
--     half of it, double it (each the largest divisor of the width below);
--   backward rows (band): the default, about half, about double (valid:
--     divides the height, even under a pool);
--   rows per backward-weights call, for a conv whose default backward-weights
--     is direct: about half and double the default (valid: divides the band);
--   Winograd backward-weights groups (tile rows transformed together), for
--     a conv whose default backward-weights is Winograd: about half and
--     double the default (valid: divides the tile rows, or any count up to
--     the scratch's bound where the layer ends in partial tiles);
--   Winograd forward and backward-data groups (whole tile rows whose tiles
--     go through one product call), for a conv whose default pass is
--     Winograd: single tile rows, up to 2 and up to 4 tile rows and a small
--     layer's whole image, each where it differs from the generator's
--     default (shapes.default_row_group; valid: divides the tile rows),
--     and two whole images where they hold at most 64 tiles (not for a
--     batch-norm conv);
--   algorithm: direct, Winograd F(2x2), F(4x4) and F(6x6) in every pass,
--     where each fits, partial tiles included (the default is the cost
--     model's, gen/shapes.lua), for a conv whose network file leaves it
--     to the generator.
-- Each conv then takes the width chunk with the least forward +
-- backward-data time, the rows with the least backward-data +
-- backward-weights time, the rows per call and the group with the least
-- backward-weights time (each kept only while backward-weights keeps the
-- default's algorithm, the call rows only while they divide the chosen
-- band), the forward group with the least forward time (kept only while
-- the forward keeps the default's algorithm), and per pass the faster of direct and one Winograd
-- tile (choose_passes), the default's tile timed with the groups and knobs
-- it would keep, since only its groups were timed; that combination is
-- timed as a whole. Where a
-- conv's backward-weights took another Winograd tile than the default's, a
-- second round times that tile's groups (regroup_candidates) over the
-- combination and keeps them if the whole step gains too. The
-- block whose combination trains fastest wins. A value, a combination or a
-- block other than the defaults must win by `margin` (3%: these machines
-- vary by about that from step to step) and in most rounds (M.beats), or
-- the defaults stay. Last, the winning build races a copy whose first
-- dense layer reads its weight in place in backward-data (M.choose_dense),
-- unless that layer is a negligible share of the step (M.dense_negligible).
local shapes = require("shapes")
local tuning = require("tuning")

local M = {}

local ALGORITHMS = shapes.ALGORITHM_NAMES

--- Channel blocks to try.
function M.blocks(arch, convs)
  local list = {}
  for _, b in ipairs(arch.channel_block) do
    local fits = true
    for _, op in ipairs(convs) do fits = fits and shapes.block_fits(op, b) end
    if fits and #list < 2 then list[#list + 1] = b end
  end
  return list
end

--- The divisor of n nearest `want` (the smaller on a tie) among those
-- `valid` accepts (all when nil); nil when none is.
local function divisor_near(n, want, valid)
  local best
  for r = 1, n do
    if n % r == 0 and (not valid or valid(r)) and (not best or math.abs(r - want) < math.abs(best - want)) then
      best = r
    end
  end
  return best
end

--- The valid backward-row count nearest `factor` x the default.
local function rows_near(op, factor)
  local want = math.max(1, math.floor(op.BWR * factor + 0.5))
  return divisor_near(op.H, want, function(r) return not op.pool or r % 2 == 0 end) or op.BWR
end

--- The Winograd group (tile rows: a divisor of the layer's, any count
-- within the scratch's bound where the last tile row is partial, or whole
-- images within that bound) nearest `factor` x the default; nil (the
-- default) for a conv without Winograd backward-weights or when that is the
-- default itself.
local function group_near_tile(op, T, default, factor)
  local rows, cols, want, best = shapes.tiles_along(op.H, T), shapes.tiles_along(op.W, T), default * factor, nil
  local partial = op.H % T ~= 0
  for g = 1, math.max(rows, shapes.WINO_BWD_MAX_TILES // cols) do
    local within = g * cols <= shapes.WINO_BWD_MAX_TILES
    local valid = g <= rows and (rows % g == 0 or (partial and within)) or (g % rows == 0 and within)
    local d, bd = math.abs(g - want), best and math.abs(best - want)
    -- a tie goes to the one nearer the default (3 x 0.5: 2, not 1)
    if valid and (not best or d < bd or (d == bd and math.abs(g - default) < math.abs(best - default))) then best = g end
  end
  if best == default then return nil end
  return best
end

--- The rows per direct backward-weights call (a divisor of the band) nearest
-- `factor` x the default; nil (the default) for a conv whose default
-- backward-weights is Winograd or when that is the default itself.
local function call_rows_near(op, factor)
  if op.passes.backward_weights ~= "direct" then return nil end
  local best = divisor_near(op.BWR, op.BWC * factor)
  if best == op.BWC then return nil end
  return best
end

local function group_near(op, factor)
  if not op.WG then return nil end
  return group_near_tile(op, op.wino, op.WG, factor)
end

--- The algorithm a candidate gives a conv: `algo` where it fits, else direct;
-- the network file's own where it names one (no tuning file overrides it,
-- so timing another would time the same code again).
local function algo_for(op, algo)
  if op.algorithm and op.algorithm ~= "auto" then return op.passes.forward end
  local T = shapes.WINOGRAD_TILE[algo]
  if T and not shapes.winograd_fits(op, T) then return "direct" end
  return algo
end

-- The optional knobs, each with the pass whose time judges it (1 forward,
-- 2 backward-data, 3 backward-weights) and the words its notes use.
-- A row group's notes name the default's group, which depends on the layer
-- and tile (shapes.default_row_group).
local function default_rows(op, algo)
  local T = shapes.WINOGRAD_TILE[algo]
  return T and shapes.default_row_group(op, T) or nil
end
local KNOBS = { { key = "bwc", pass = 3, what = "rows per call" },
                { key = "wg", pass = 3, what = "Winograd group (tile rows)" },
                { key = "bwd_w_code", pass = 3, what = "code" },
                { key = "wfg", pass = 1, what = "Winograd forward group (tile rows)", default_of = default_rows },
                { key = "wdg", pass = 2, what = "Winograd backward-data group (tile rows)", default_of = default_rows } }
local PASS_WORDS = { "forward", "backward-data", "backward-weights" }
-- The passes that the width chunk and the backward rows change, and judge them.
local WC_PASSES, BWR_PASSES = { [1] = true, [2] = true }, { [2] = true, [3] = true }

--- A group of g tile rows for tile T as a candidate's value: nil where it
-- is the generator's default (shapes.default_row_group), which the
-- defaults' build already times.
local function unless_default(op, T, g)
  if g == nil or g == shapes.default_row_group(op, T) then return nil end
  return g
end

--- A Winograd group of whole tile rows (gen/shapes.lua's choose_row_groups:
-- the forward's wfg, backward-data's wdg) for tile T of at most `most`
-- rows: the largest divisor of the tile rows up to it (nil where that is
-- the default).
local function row_group_tile(op, T, most)
  local rows = shapes.tiles_along(op.H, T)
  for g = math.min(most, rows), 1, -1 do
    if rows % g == 0 then return unless_default(op, T, g) end
  end
  return nil
end

--- All of an image's tile rows for tile T as one group where the image
-- has at most shapes.ROW_GROUP_MAX_TILES tiles in more than one row (a
-- small layer's image, such as hep224's conv4 at 28x28, F(4x4): 7 tile
-- rows of 7, which no group of 2 to 4 rows divides); nil otherwise, or
-- where that is the default.
local function image_group_tile(op, T)
  local rows = shapes.tiles_along(op.H, T)
  if rows > 1 and rows * shapes.tiles_along(op.W, T) <= shapes.ROW_GROUP_MAX_TILES then
    return unless_default(op, T, rows)
  end
  return nil
end

--- The tile rows of two whole images for tile T, a forward or
-- backward-data group (gen/shapes.lua's choose_row_groups), where the two hold at most
-- shapes.ROW_GROUP_MAX_TILES tiles (hep64's 32x32 layers by F(8x8): 16 tiles
-- an image); nil otherwise, and for a batch-norm conv, which takes one image
-- a group.
local function images_group_tile(op, T)
  local rows = shapes.tiles_along(op.H, T)
  if op.bn or 2 * rows * shapes.tiles_along(op.W, T) > shapes.ROW_GROUP_MAX_TILES then return nil end
  return 2 * rows
end

--- The group of size `most` (1, 2, 4, "image" or "images") for tile T; nil
-- (the default) where that is the default's, and for a conv whose network
-- file names its algorithm.
local function group_of_size(op, T, most)
  if op.algorithm and op.algorithm ~= "auto" then return nil end
  if most == "image" then return image_group_tile(op, T) end
  if most == "images" then return images_group_tile(op, T) end
  return row_group_tile(op, T, most)
end

--- The same for the default's algorithm of `pass`; nil where that is direct.
local function row_group(op, pass, most)
  local T = shapes.WINOGRAD_TILE[op.passes[pass]]
  return T and group_of_size(op, T, most) or nil
end

-- The forward and backward-data group sizes the tuner times: single tile
-- rows, up to 2 and 4 tile rows, a small layer's whole image, and two whole
-- images.
local ROW_GROUP_SIZES = { 1, 2, 4, "image", "images" }

local function size_words(most)
  if most == "image" then return "a whole image of tile rows" end
  if most == "images" then return "two whole images" end
  return most == 1 and "single tile rows" or string.format("up to %d tile rows", most)
end

--- Whether candidate values v leave every knob but `except` at the defaults' d.
function M.knobs_default(v, d, except)
  for _, kn in ipairs(KNOBS) do
    if kn.key ~= except and v[kn.key] ~= d[kn.key] then return false end
  end
  return true
end

--- One candidate: `name` and each conv's values, from `knobs` (functions of
-- the conv: wc, bwr, algo, wg, bwc, code, groups); a knob left out (or
-- giving nil) takes the default's wc, bwr or algorithm, and leaves the
-- others nil (the generator's defaults).
local function candidate(convs, name, knobs)
  local c = { name = name, values = {} }
  for _, op in ipairs(convs) do
    local v = { wc = knobs.wc and knobs.wc(op) or op.WC, bwr = knobs.bwr and knobs.bwr(op) or op.BWR,
                algo = knobs.algo and knobs.algo(op) or op.passes.forward,
                wg = knobs.wg and knobs.wg(op) or nil, bwc = knobs.bwc and knobs.bwc(op) or nil,
                bwd_w_code = knobs.code and knobs.code(op) or nil }
    if knobs.groups then v.wfg, v.wdg = knobs.groups(op) end
    c.values[op.name] = v
  end
  return c
end

--- Appends candidate c to list unless every conv's values are the defaults'
-- (list[1]).
local function add_unless_default(list, convs, c)
  for _, op in ipairs(convs) do
    local v, d = c.values[op.name], list[1].values[op.name]
    if v.wc ~= d.wc or v.bwr ~= d.bwr or v.algo ~= d.algo or not M.knobs_default(v, d) then
      list[#list + 1] = c
      return
    end
  end
end

--- Whether candidates a and b give every conv the same value of `key`.
local function same_values(convs, a, b, key)
  for _, op in ipairs(convs) do
    if a.values[op.name][key] ~= b.values[op.name][key] then return false end
  end
  return true
end

--- The Winograd forward and backward-data group candidates: each size of
-- ROW_GROUP_SIZES, each pass's own (a size only where it differs from the
-- smaller ones').
local function row_group_candidates(convs)
  local list = {}
  for _, g in ipairs({ { key = "wfg", pass = "forward" }, { key = "wdg", pass = "backward_data" } }) do
    local earlier = {}
    for _, most in ipairs(ROW_GROUP_SIZES) do
      local c = candidate(convs, string.format("Winograd %s groups of %s", (g.pass:gsub("_", "-")), size_words(most)),
        { groups = function(op)
            local rows = row_group(op, g.pass, most)
            if g.key == "wfg" then return rows, nil end
            return nil, rows
          end })
      c.knob = g.key
      local same = false
      for _, e in ipairs(earlier) do same = same or same_values(convs, e, c, g.key) end
      if not same then list[#list + 1] = c end
      earlier[#earlier + 1] = c
    end
  end
  return list
end

--- Candidates for one block: { name, values = { [conv name] = { wc, bwr,
-- bwc, wg, bwd_w_code, algo } } } (algo: every pass's; bwc, wg, bwd_w_code
-- nil: the generator's defaults), the defaults first; candidates equal to
-- the defaults are left out.
function M.candidates(arch, convs)
  local list = { candidate(convs, "defaults", {}) }
  local function add(name, knobs)
    local c = candidate(convs, name, knobs)
    c.knob = next(knobs)
    add_unless_default(list, convs, c)
  end
  for _, f in ipairs({ 0.5, 2 }) do
    local max = math.max(1, math.floor(arch.max_width_chunk * f))
    add(string.format("width chunks up to %d", max), { wc = function(op) return shapes.chunk_width(op.W, max) end })
  end
  for _, f in ipairs({ 0.5, 2 }) do
    add(string.format("backward rows x%g", f), { bwr = function(op) return rows_near(op, f) end })
  end
  for _, f in ipairs({ 0.5, 2 }) do
    add(string.format("backward-weights call rows x%g", f), { bwc = function(op) return call_rows_near(op, f) end })
  end
  for _, f in ipairs({ 0.5, 2 }) do
    add(string.format("Winograd groups x%g", f), { wg = function(op) return group_near(op, f) end })
  end
  -- AVX2 code for the Winograd backward-weights products of an AVX-512 arch
  if arch.vector_floats == 16 then
    add("Winograd backward-weights as AVX2 code",
      { code = function(op) return op.wino_bwd_w and op.algorithm == "auto" and "avx2" or nil end })
  end
  for _, c in ipairs(row_group_candidates(convs)) do add_unless_default(list, convs, c) end
  for _, algo in ipairs(ALGORITHMS) do
    add(algo .. " where it fits", { algo = function(op) return algo_for(op, algo) end })
  end
  return list
end

-- The passes each knob of M.candidates changes (its `knob`: the key of
-- the one knob it varies): the width chunk forward and backward-data, the
-- rows both backward passes, each optional knob its own (KNOBS).
local KNOB_PASSES = { wc = WC_PASSES, bwr = BWR_PASSES }
for _, kn in ipairs(KNOBS) do KNOB_PASSES[kn.key] = { [kn.pass] = true } end
KNOB_PASSES.code = KNOB_PASSES.bwd_w_code
local VALUE_KEYS = { "wc", "bwr", "algo", "wg", "bwc", "bwd_w_code", "wfg", "wdg" }

--- The first build of `out` (2 on: not the defaults) that takes a knob
-- changing `passes`: one no pass of which its knobs change yet (used[k];
-- nil for an algorithm's build, which takes no other); nil where none does.
local function first_fit(out, used, passes)
  for k = 2, #out do
    local free = used[k] ~= nil
    for p in pairs(passes) do free = free and not used[k][p] end
    if free then return k end
  end
  return nil
end

--- M.candidates packed into fewer builds: a candidate that varies one
-- knob shares its build with others whose knobs change other passes (a
-- width chunk, forward and backward-data, with a backward-weights knob;
-- backward rows with a forward group; ...), first fit in the list's order,
-- as measure judges each value by the passes it changes alone. The
-- defaults and the algorithms (every pass) keep their own builds. A shared
-- build's name joins its candidates' with " + "; each conv's values are
-- the defaults' with every candidate's changes.
function M.pack(convs, list)
  local out, used = { list[1] }, {}
  for i = 2, #list do
    local c = list[i]
    local passes = KNOB_PASSES[c.knob]   -- nil: an algorithm, every pass
    local into = passes and first_fit(out, used, passes)
    if into then
      out[into].name = out[into].name .. " + " .. c.name
    else
      local values = {}
      for _, op in ipairs(convs) do values[op.name] = {} end
      out[#out + 1], into = { name = c.name, values = values }, #out + 1
      used[into] = passes and {} or nil
    end
    for p in pairs(passes or {}) do used[into][p] = true end
    for _, op in ipairs(convs) do
      local v, d, to = c.values[op.name], list[1].values[op.name], out[into].values[op.name]
      for _, key in ipairs(VALUE_KEYS) do   -- the first candidate's values, then each one's changes
        if v[key] ~= d[key] or to[key] == nil then to[key] = v[key] end
      end
    end
  end
  return out
end

local PASS_NAMES = tuning.PASSES

--- A conv's algorithm per pass in candidate or chosen values: a candidate's
-- one algorithm (algo) for every pass, or a choice's own (passes).
function M.passes_of(v)
  if v.passes then return v.passes end
  local passes = {}
  for _, pass in ipairs(PASS_NAMES) do passes[pass] = v.algo end
  return passes
end

--- Per pass the algorithm of one conv: the default's unless a Winograd tile
-- (with direct passes where those are faster) or direct throughout beats
-- the default's total by the margin; a pass leaves the default only past
-- the margin too. by_algo[algo] = { fwd, bwd_d, bwd_w } ms.
local function choose_passes(default, by_algo, margin)
  local t0 = by_algo[default]
  local best, best_total = nil, (t0[1] + t0[2] + t0[3]) * (1 - margin)
  for _, algo in ipairs(ALGORITHMS) do
    if algo == default or not by_algo[algo] then goto next_algo end
    local passes, total = {}, 0
    for k, pass in ipairs(PASS_NAMES) do
      local pick = algo
      -- the other choice of this option: direct, or the default's Winograd
      local other = algo ~= "direct" and by_algo.direct and "direct" or nil
      if other and by_algo[other][k] < by_algo[algo][k] * (1 - margin) then pick = other end
      passes[pass] = pick
      total = total + by_algo[pick][k]
    end
    if total < best_total then best, best_total = passes, total end
    ::next_algo::
  end
  if best then return best end
  -- the default's tile with single passes direct where that is past the margin
  local passes = {}
  for k, pass in ipairs(PASS_NAMES) do
    passes[pass] = (by_algo.direct and by_algo.direct[k] < t0[k] * (1 - margin)) and "direct" or default
  end
  return passes
end
M.choose_passes = choose_passes

--- An optional knob of backward-weights (call rows, Winograd group, code; nil: the
-- generator's default), judged by backward-weights time: each value's first
-- time goes to the notes, and the best past the defaults' cost is kept.
local function knob(cost)
  return { best = nil, cost = cost, seen = {}, notes = {} }
end

local function knob_time(k, value, i, time, default_value)
  local key = value or (default_value and string.format("default %d", default_value) or "default")
  if k.seen[key] then return end
  k.seen[key] = true
  k.notes[#k.notes + 1] = string.format("%s: %.2f", key, time)
  if i > 1 and time < k.cost then k.best, k.cost = value, time end
end

local function knob_notes(k, kn)
  return #k.notes > 1 and string.format("%s ms by %s %s; ", PASS_WORDS[kn.pass], kn.what, table.concat(k.notes, ", "))
    or ""
end

--- Whether candidate values v leave at the defaults' d every knob but
-- `except` whose pass is one of `passes` (a set of pass indices): what v
-- changes elsewhere does not touch the time that judges a value.
local function spares(v, d, passes, except)
  for _, kn in ipairs(KNOBS) do
    if kn.key ~= except and v[kn.key] ~= d[kn.key] and passes[kn.pass] then return false end
  end
  return true
end

--- One conv's timings over the candidates (each varies one knob, or
-- several that judge by different passes: M.pack; the others at the
-- defaults', d). Each value is judged by the candidates that leave the
-- passes judging it untouched otherwise: the fastest width chunk and rows
-- (each must beat the defaults' cost less the margin), each optional
-- knob's timings (knob), each algorithm's pass times (by_algo, from
-- candidates that change nothing else), and the notes that list them.
local function measure(op, cands, timings, margin)
  local d, t0 = cands[1].values[op.name], timings[1].layers[op.name]
  local m = { best_wc = d.wc, best_bwr = d.bwr, knobs = {}, notes_wc = {}, notes_bwr = {}, by_algo = {}, notes_algo = {} }
  local wc_cost, bwr_cost = (t0[1] + t0[2]) * (1 - margin), (t0[2] + t0[3]) * (1 - margin)
  for _, kn in ipairs(KNOBS) do m.knobs[kn.key] = knob(t0[kn.pass] * (1 - margin)) end
  local seen_wc, seen_bwr = {}, {}
  for i, c in ipairs(cands) do
    local v, t = c.values[op.name], timings[i].layers[op.name]
    local fwd_cost, bwd_cost = t[1] + t[2], t[2] + t[3]
    local same_algo, same_knobs = v.algo == d.algo, M.knobs_default(v, d)
    if same_algo and v.bwr == d.bwr and spares(v, d, WC_PASSES) and not seen_wc[v.wc] then
      seen_wc[v.wc] = true
      m.notes_wc[#m.notes_wc + 1] = string.format("%d: %.2f", v.wc, fwd_cost)
      if i > 1 and fwd_cost < wc_cost then m.best_wc, wc_cost = v.wc, fwd_cost end
    end
    if same_algo and v.wc == d.wc and spares(v, d, BWR_PASSES) and not seen_bwr[v.bwr] then
      seen_bwr[v.bwr] = true
      m.notes_bwr[#m.notes_bwr + 1] = string.format("%d: %.2f", v.bwr, bwd_cost)
      if i > 1 and bwd_cost < bwr_cost then m.best_bwr, bwr_cost = v.bwr, bwd_cost end
    end
    for _, kn in ipairs(KNOBS) do
      local spared = same_algo and (v.wc == d.wc or not WC_PASSES[kn.pass])
        and (v.bwr == d.bwr or not BWR_PASSES[kn.pass]) and spares(v, d, { [kn.pass] = true }, kn.key)
      if spared and (v[kn.key] or i == 1) then
        knob_time(m.knobs[kn.key], v[kn.key], i, t[kn.pass], kn.default_of and kn.default_of(op, d.algo))
      end
    end
    if v.wc == d.wc and v.bwr == d.bwr and same_knobs and not m.by_algo[v.algo] then
      m.by_algo[v.algo] = t
      m.notes_algo[#m.notes_algo + 1] = string.format("%s %.2f/%.2f/%.2f", v.algo, t[1], t[2], t[3])
    end
  end
  return m
end

--- The costs that judge what candidate values v change in one conv against
-- the defaults' d, as measure takes them: each a list of pass indices whose
-- times add up (every pass for another algorithm, chosen pass by pass;
-- forward + backward-data for the width chunk, backward-data +
-- backward-weights for the rows; a knob's own pass).
local function judged_passes(v, d)
  local list = {}
  if v.algo ~= d.algo then list = { { 1 }, { 2 }, { 3 } } end
  if v.wc ~= d.wc then list[#list + 1] = { 1, 2 } end
  if v.bwr ~= d.bwr then list[#list + 1] = { 2, 3 } end
  for _, kn in ipairs(KNOBS) do
    if v[kn.key] ~= d[kn.key] then list[#list + 1] = { kn.pass } end
  end
  return list
end

--- How far behind the defaults a candidate's first round must be, in every
-- cost that judges it, to be timed no more (M.hopeless). A value wins only
-- by the margin on the least of its rounds, so such a candidate would need
-- a later round a third faster, relative to the defaults', than its first.
-- On the noisy Intel VM (family 6 model 167) one build's rounds spread by
-- up to 10% in a quiet hour, but single rounds came out 32-39% slow in
-- noisy ones (hep64's width chunks of 56 by block 32: 147.9, 114.3, 111.7
-- ms/step), so 1.3 would risk a winner; direct convs there took hep224's
-- rounds at 2.4 times the defaults' step.
M.HOPELESS = 1.5

--- The indices of the candidates (2 on; 1 is the defaults) that the first
-- round (first[i]: build i's timing, as M.least's) leaves behind the
-- defaults by M.HOPELESS or more in every cost that judges a value they
-- change (judged_passes), in every conv they change.
function M.hopeless(convs, cands, first)
  local out = {}
  for i = 2, #cands do
    local judged, behind = 0, true
    for _, op in ipairs(convs) do
      local t, t0 = first[i].layers[op.name], first[1].layers[op.name]
      for _, passes in ipairs(judged_passes(cands[i].values[op.name], cands[1].values[op.name])) do
        local cost, cost0 = 0, 0
        for _, k in ipairs(passes) do cost, cost0 = cost + t[k], cost0 + t0[k] end
        judged = judged + 1
        behind = behind and cost0 > 0 and cost >= cost0 * M.HOPELESS
      end
    end
    if judged > 0 and behind then out[#out + 1] = i end
  end
  return out
end

--- The knob values the default's tile keeps: each knob's winner, call
-- rows only where they divide the chosen band.
local function kept_knobs(m)
  local kept = {}
  for _, kn in ipairs(KNOBS) do
    local best = m.knobs[kn.key].best
    if best ~= nil and (kn.key ~= "bwc" or m.best_bwr % best == 0) then kept[kn.key] = best end
  end
  return kept
end

--- The default's algorithm's time per pass with the knob values it keeps
-- (each pass's least over its kept knobs' times, or the defaults' time),
-- and a note where any pass gained. The algorithms race on these: the
-- first round times the groups with the default's tile only, so another
-- tile at its default groups must beat this tile at its best (hep64's
-- conv2 on an Intel host: F(8x8) by two whole images against F(4x4));
-- otherwise the race would drop groups that won their own pass.
local function default_at_best_knobs(m, algo, kept)
  local t0, best, gained = m.by_algo[algo], {}, false
  for k = 1, 3 do best[k] = t0[k] end
  for _, kn in ipairs(KNOBS) do
    local cost = m.knobs[kn.key].cost
    if kept[kn.key] ~= nil and cost < best[kn.pass] then best[kn.pass], gained = cost, true end
  end
  local note = gained and string.format("; %s with the groups and knobs above %.2f/%.2f/%.2f", algo, best[1],
    best[2], best[3]) or ""
  return best, note
end

--- Per conv, the fastest width chunk, rows, call rows, Winograd group and algorithms over the timed
-- candidates (timings[i] = { layers = { [name] = { fwd, bwd_d, bwd_w } },
-- step }); returns values and, per conv, the measurements that chose them.
function M.choose(convs, cands, timings, margin)
  local chosen, why = {}, {}
  for _, op in ipairs(convs) do
    local d = cands[1].values[op.name]
    local m = measure(op, cands, timings, margin)
    local kept, by_algo = kept_knobs(m), {}
    for algo, t in pairs(m.by_algo) do by_algo[algo] = t end
    local default_best, best_note = default_at_best_knobs(m, d.algo, kept)
    by_algo[d.algo] = default_best
    local passes = choose_passes(d.algo, by_algo, margin)
    -- the knobs were measured with the default's algorithm only: each stays while its pass keeps that
    local v = { wc = m.best_wc, bwr = m.best_bwr, passes = passes }
    for _, kn in ipairs(KNOBS) do
      if passes[PASS_NAMES[kn.pass]] == d.algo then v[kn.key] = kept[kn.key] end
    end
    chosen[op.name] = v
    local notes_knobs = {}
    for _, kn in ipairs(KNOBS) do notes_knobs[#notes_knobs + 1] = knob_notes(m.knobs[kn.key], kn) end
    why[op.name] = string.format("forward + backward-data ms by width chunk %s; backward ms by rows %s; %s"
      .. "forward/backward-data/backward-weights ms by algorithm: %s",
      table.concat(m.notes_wc, ", "), table.concat(m.notes_bwr, ", "), table.concat(notes_knobs),
      table.concat(m.notes_algo, ", ")) .. best_note
  end
  return chosen, why
end

-- The groups a second round times again where a conv's pass took another
-- Winograd tile than the default's: the key, the pass (and its index in a
-- timing), and the group of each of its sizes: near half and double the
-- tile's default (for wfg and wdg, whose default may be 1: up to half of
-- it, else up to 2; up to double it, at least 4), and for wfg and wdg a
-- small layer's whole image.
local function rows_of_size(op, T, size)
  if size == "image" then return group_of_size(op, T, "image") end
  local d = shapes.default_row_group(op, T)
  return group_of_size(op, T, size < 1 and (d > 1 and d // 2 or 2) or math.max(4, 2 * d))
end
local REGROUP = {
  { key = "wg", pass = "backward_weights", k = 3, what = "group",
    near = function(op, T, size)
      return size ~= "image" and group_near_tile(op, T, shapes.default_group(op, T), size) or nil
    end },
  { key = "wfg", pass = "forward", k = 1, what = "group of tile rows", near = rows_of_size },
  { key = "wdg", pass = "backward_data", k = 2, what = "group of tile rows", near = rows_of_size },
}
local REGROUP_SIZES = { 0.5, 2, "image" }

--- The groups of a second round. The first times groups with the
-- default's tile only, so a conv whose chosen pass takes another Winograd
-- tile (hep224's conv2: backward-weights by F(6x6) where the cost model
-- gives F(4x4); hep64's conv2 on an Intel host: every pass by F(4x4) where
-- the default is F(8x8)) has that pass's groups timed now, over the chosen
-- values: about half and double the tile's default backward-weights group,
-- and forward and backward-data groups of up to 2 and 4 tile rows and of
-- a small layer's whole image. Returns candidates like M.candidates' (none
-- when no conv changed tile).
function M.regroup_candidates(convs, chosen)
  local list, timed = {}, {}
  for _, size in ipairs(REGROUP_SIZES) do
    local name = size == "image" and "chosen, Winograd groups of a whole image"
      or string.format("chosen, Winograd groups x%g", size)
    local c, any = { name = name, values = {} }, false
    for _, op in ipairs(convs) do
      local v = {}
      for k, x in pairs(chosen[op.name]) do v[k] = x end
      timed[op.name] = timed[op.name] or {}
      for _, g in ipairs(REGROUP) do
        local algo = v.passes[g.pass]
        local T = shapes.WINOGRAD_TILE[algo]
        local x = T and algo ~= op.passes[g.pass] and g.near(op, T, size) or nil
        -- a group an earlier candidate already times (14 tile rows: 2 for
        -- "up to 2" and "up to 4") is not timed twice
        timed[op.name][g.key] = timed[op.name][g.key] or {}
        if x ~= nil and not timed[op.name][g.key][x] then
          v[g.key], any = x, true
          timed[op.name][g.key][x] = true
        end
      end
      c.values[op.name] = v
    end
    if any then list[#list + 1] = c end
  end
  return list
end

--- Takes, per conv and group, a second-round group whose pass's time beats
-- the chosen combination's (`base`, a timing) by the margin; adds the
-- figures to why. Returns nil when no conv took one, else a function that
-- puts back the groups it replaced (for a regrouped build that loses its
-- race).
function M.choose_regrouped(convs, chosen, base, cands, timings, margin, why)
  local replaced = {}
  for _, op in ipairs(convs) do
    for _, g in ipairs(REGROUP) do
      local t0 = base.layers[op.name][g.k]
      local rows = g.key ~= "wg" and default_rows(op, chosen[op.name].passes[g.pass]) or nil
      local best, cost, notes = nil, t0 * (1 - margin),
        { string.format("%s: %.2f", rows and string.format("default %d", rows) or "default", t0) }
      for i, c in ipairs(cands) do
        local x = c.values[op.name][g.key]
        if x and x ~= chosen[op.name][g.key] then
          local t = timings[i].layers[op.name][g.k]
          notes[#notes + 1] = string.format("%d: %.2f", x, t)
          if t < cost then best, cost = x, t end
        end
      end
      if #notes > 1 then
        why[op.name] = string.format("%s; %s %s ms by %s %s", why[op.name], chosen[op.name].passes[g.pass],
          PASS_WORDS[g.k], g.what, table.concat(notes, ", "))
      end
      if best then
        replaced[#replaced + 1] = { v = chosen[op.name], key = g.key, old = chosen[op.name][g.key] }
        chosen[op.name][g.key] = best
      end
    end
  end
  if #replaced == 0 then return nil end
  return function()
    for _, r in ipairs(replaced) do r.v[r.key] = r.old end
  end
end

--- The order of round r over n timed builds: as built in odd rounds,
-- reversed in even ones, so that no build always runs straight after the
-- same one (a build heats the caches and the clock for the next).
function M.round_order(n, r)
  local order = {}
  for i = 1, n do order[i] = r % 2 == 1 and i or n + 1 - i end
  return order
end

--- One build's timing over its rounds (each { layers = { [name] = { fwd,
-- bwd_d, bwd_w } }, step }): every figure the least of the rounds'. Noise
-- on a shared machine only adds time, and a noisy minute then costs a
-- candidate one round's figures instead of its only ones.
function M.least(rounds)
  local t = { layers = {}, step = math.huge, steps = {} }
  for r, round in ipairs(rounds) do
    t.steps[r] = round.step
    t.step = math.min(t.step, round.step)
    for name, f in pairs(round.layers) do
      local l = t.layers[name] or { math.huge, math.huge, math.huge }
      for k = 1, 3 do l[k] = math.min(l[k], f[k]) end
      t.layers[name] = l
    end
  end
  return t
end

--- make tune's line for one raced build of a block, its timing (M.least):
-- the name padded to `width` characters, so that the figures of a race's
-- lines stand in one column past its longest name. Padded by hand, not by
-- string.format, whose widths stop at 99: a shared build's name ran to 116
-- characters (hep64 for knl), and make tune died on it.
function M.race_line(block, label, width, timing)
  local steps = {}
  for k, s in ipairs(timing.steps) do steps[k] = string.format("%.1f", s) end
  return string.format("  B=%-3d %s%s %9.1f ms/step (rounds %s)\n", block, label,
    string.rep(" ", width - #label), timing.step, table.concat(steps, " "))
end

--- Whether `challenger` beats `incumbent`, two builds' timings (M.least) of
-- one race: by the margin on the least of the rounds, and faster in more
-- than half of the rounds taken pair by pair (a round times both in the
-- same minutes). One lucky round alone does not move a choice: in a noisy
-- hour, block 32 once won hep64's last race by 4% on its best round (124.2
-- against 129.1 ms) while slower in two of the three rounds, and 6
-- alternated pairs of the two tuning files then came out even.
function M.beats(challenger, incumbent, margin)
  if challenger.step >= incumbent.step * (1 - margin) then return false end
  local wins, n = 0, math.min(#challenger.steps, #incumbent.steps)
  for r = 1, n do
    if challenger.steps[r] < incumbent.steps[r] then wins = wins + 1 end
  end
  return 2 * wins > n
end

--- The tuning file's words for a block whose layers had choices of their
-- own that did not beat its defaults (M.beats) in the race of the two
-- builds: slower, or faster by less than the margin or in too few rounds.
function M.kept_defaults_note(chosen_step, defaults_step, margin)
  if chosen_step >= defaults_step then
    return string.format(" (per-layer choices %.1f ms/step against the defaults' %.1f: defaults kept)",
      chosen_step, defaults_step)
  end
  return string.format(" (per-layer choices %.1f ms/step against the defaults' %.1f: faster, but not by"
    .. " the %g%% margin in most rounds: defaults kept)", chosen_step, defaults_step, margin * 100)
end

-- How far a build's median round lies above its least (a fraction): the
-- noise of its rounds (none for a step too short to time).
local function spread(t)
  if t.step <= 0 then return 0 end
  local s = { table.unpack(t.steps) }
  table.sort(s)
  return s[(#s + 1) // 2] / t.step - 1
end

--- Whether a race of two builds is too close to call: their least steps
-- lie closer together than either build's rounds spread. In a noisy hour
-- hep224's build with conv2's and conv3's groups lost its race on least
-- steps 6% apart (rounds 702.1 698.7 976.5 ms/step against 889.0 658.9
-- 831.6, the other's median 26% above its least), with those layers 13%
-- faster; alternated runs then took it in 3 of 4. (A build steadily a
-- little faster, within the margin, is decided: more rounds would not
-- move it past.)
function M.undecided(challenger, incumbent)
  local gap = incumbent.step > 0 and math.abs(challenger.step / incumbent.step - 1) or math.huge
  return gap < math.max(spread(challenger), spread(incumbent))
end

--- The builds to time in one more round of a race, or nil. A race's
-- contests ({ challenger, incumbent }: indices into `rounds`, each
-- build's list of round timings) get one while any is undecided and the
-- race has had fewer than `most` rounds; the round takes every contest's
-- builds, so that theirs stay paired round by round.
function M.extra_round(rounds, contests, most)
  local more, seen, open = {}, {}, false
  for _, c in ipairs(contests) do
    local a, b = rounds[c[1]], rounds[c[2]]
    open = open or (math.min(#a, #b) < most and M.undecided(M.least(a), M.least(b)))
    for _, i in ipairs({ c[1], c[2] }) do
      if not seen[i] then more[#more + 1], seen[i] = i, true end
    end
  end
  table.sort(more)
  return open and more or nil
end

--- How the first dense layer's backward-data reads its weight
-- (gen/layers/dense.lua), from a race of two builds (M.least) that differ
-- only there: "in_place" where that pass's least time beats the packed
-- build's by the margin and the whole step is no slower beyond it (the
-- pass is about 2% of hep64's step, within the steps' noise), else
-- "packed". Returns the choice and the figures for the entry's `why`.
function M.choose_dense(name, packed, in_place, margin)
  local p, i = packed.layers[name][2], in_place.layers[name][2]
  local take = i < p * (1 - margin) and in_place.step < packed.step * (1 + margin)
  return take and "in_place" or "packed",
    string.format("backward-data ms packed %.2f, in place %.2f; ms/step %.1f, %.1f", p, i, packed.step, in_place.step)
end

--- Whether the first dense layer's passes that its race could change
-- (forward: the inputs per call; backward-data: the weight's reading) take
-- under `share` (TUNE_DENSE_SHARE, 0.01) of the step in `timing` (M.least's
-- figures of the best build). A choice there wins by the margin on the
-- pass, a 3% gain on a pass that is 1% of the step is 0.03% of the step,
-- and a race of such a pass (hep224's 128->2 layer: 0.1 ms of 330) ranks
-- timer noise: it is not run, and the defaults stay. Returns the verdict
-- and the figures for the entry's `why`.
function M.dense_negligible(name, timing, share)
  local l = timing.layers[name]
  local ms = l[1] + l[2]
  return ms < share * timing.step,
    string.format("forward + backward-data %.2f ms of a %.1f ms step, under %g%% of it: its defaults, not raced",
      ms, timing.step, share * 100)
end

--- The first dense layer's forward inputs per call (its GEMM's k) that
-- make tune races against the default (gen/layers/dense.lua): 2048 and
-- 4096 where they divide the inputs, above the default and below all.
function M.dense_kcs(inputs, default_kc)
  local list = {}
  for _, kc in ipairs({ 2048, 4096 }) do
    if inputs % kc == 0 and kc > default_kc and kc < inputs then list[#list + 1] = kc end
  end
  return list
end

--- The forward inputs per call from a race (M.least) of the default build
-- and one build per kc of M.dense_kcs (`kcs`, `timed` in the same order):
-- the kc of the least forward time where it beats the default's by the
-- margin and the whole step is no slower beyond it, else nil (the
-- default). Returns the choice and the figures for the entry's `why`.
function M.choose_dense_kc(name, default_kc, default, kcs, timed, margin)
  local d = default.layers[name][1]
  local best, best_ms = nil, d
  local words = { string.format("%d: %.2f", default_kc, d) }
  for i, kc in ipairs(kcs) do
    local f = timed[i].layers[name][1]
    words[#words + 1] = string.format("%d: %.2f", kc, f)
    if f < best_ms and f < d * (1 - margin) and timed[i].step < default.step * (1 + margin) then best, best_ms = kc, f end
  end
  return best, "forward ms by inputs per call " .. table.concat(words, ", ")
end

--- A candidate's tuning file text (for the generator's --tuning); denses
-- (optional) its dense entries by key.
function M.render(arch, net_name, block, convs, values, denses)
  local t = { arch = arch.name, networks = { [net_name] = { block = block } }, convs = {}, denses = denses }
  for _, op in ipairs(convs) do
    local v = values[op.name]
    local e = { wc = v.wc, bwr = v.bwr, bwc = v.bwc, wg = v.wg, wfg = v.wfg, wdg = v.wdg, bwd_w_code = v.bwd_w_code }
    for pass, algo in pairs(M.passes_of(v)) do e[pass] = algo end
    t.convs[tuning.key(op, block)] = e
  end
  return tuning.render(t, "-- a make tune candidate")
end

return M
