--- What `make tune` tries and how it chooses (no I/O here; gen/tune.lua
-- builds and times). For each channel block the arch offers (the first two
-- that divide every conv's filters), candidates vary one knob at a time for
-- every conv at once:
--   width chunk (GEMM n of forward and backward-data): the arch's maximum,
--     half of it, double it (each the largest divisor of the width below);
--   backward rows (band and backward-weights call): the default, about half,
--     about double (valid: divides the height, even under a pool).
-- Each conv then takes the width chunk with the least forward +
-- backward-data time and the rows with the least backward-data +
-- backward-weights time; that combination is timed as a whole, and the
-- block whose combination trains fastest wins. A value, a combination or a
-- block other than the defaults must win by `margin` (3%: these machines
-- vary by about that from step to step), or the defaults stay.
local shapes = require("shapes")
local tuning = require("tuning")

local M = {}

--- Channel blocks to try.
function M.blocks(arch, convs)
  local list = {}
  for _, b in ipairs(arch.channel_block) do
    local fits = true
    for _, op in ipairs(convs) do fits = fits and op.K % b == 0 end
    if fits and #list < 2 then list[#list + 1] = b end
  end
  return list
end

--- The valid backward-row count nearest `factor` x the default.
local function rows_near(op, factor)
  local want = math.max(1, math.floor(op.BWR * factor + 0.5))
  local best
  for r = 1, op.H do
    if op.H % r == 0 and (not op.pool or r % 2 == 0) then
      if not best or math.abs(r - want) < math.abs(best - want) then best = r end
    end
  end
  return best or op.BWR
end

--- Candidates for one block: { name, values = { [conv name] = { wc, bwr } } },
-- the defaults first; candidates equal to the defaults are left out.
function M.candidates(arch, convs)
  local function make(name, wc_of, bwr_of)
    local c = { name = name, values = {} }
    for _, op in ipairs(convs) do c.values[op.name] = { wc = wc_of(op), bwr = bwr_of(op) } end
    return c
  end
  local default_wc = function(op) return op.WC end
  local default_bwr = function(op) return op.BWR end
  local list = { make("defaults", default_wc, default_bwr) }
  local function add(c)
    for _, op in ipairs(convs) do
      local v, d = c.values[op.name], list[1].values[op.name]
      if v.wc ~= d.wc or v.bwr ~= d.bwr then list[#list + 1] = c; return end
    end
  end
  for _, f in ipairs({ 0.5, 2 }) do
    local max = math.max(1, math.floor(arch.max_width_chunk * f))
    add(make(string.format("width chunks up to %d", max), function(op) return shapes.chunk_width(op.W, max) end, default_bwr))
  end
  for _, f in ipairs({ 0.5, 2 }) do
    add(make(string.format("backward rows x%g", f), default_wc, function(op) return rows_near(op, f) end))
  end
  return list
end

--- Per conv, the fastest width chunk and rows over the timed candidates
-- (timings[i] = { layers = { [name] = { fwd, bwd_d, bwd_w } }, step });
-- returns values and, per conv, the measurements that chose them.
function M.choose(convs, cands, timings, margin)
  local chosen, why = {}, {}
  for _, op in ipairs(convs) do
    local d, t0 = cands[1].values[op.name], timings[1].layers[op.name]
    -- the defaults' costs, less the margin another value must beat
    local best_wc, best_bwr = d.wc, d.bwr
    local wc_cost, bwr_cost = (t0[1] + t0[2]) * (1 - margin), (t0[2] + t0[3]) * (1 - margin)
    local seen_wc, seen_bwr, notes_wc, notes_bwr = {}, {}, {}, {}
    for i, c in ipairs(cands) do
      local v, t = c.values[op.name], timings[i].layers[op.name]
      local fwd_cost, bwd_cost = t[1] + t[2], t[2] + t[3]
      if v.bwr == cands[1].values[op.name].bwr and not seen_wc[v.wc] then
        seen_wc[v.wc] = true
        notes_wc[#notes_wc + 1] = string.format("%d: %.2f", v.wc, fwd_cost)
        if i > 1 and fwd_cost < wc_cost then best_wc, wc_cost = v.wc, fwd_cost end
      end
      if v.wc == cands[1].values[op.name].wc and not seen_bwr[v.bwr] then
        seen_bwr[v.bwr] = true
        notes_bwr[#notes_bwr + 1] = string.format("%d: %.2f", v.bwr, bwd_cost)
        if i > 1 and bwd_cost < bwr_cost then best_bwr, bwr_cost = v.bwr, bwd_cost end
      end
    end
    chosen[op.name] = { wc = best_wc, bwr = best_bwr }
    why[op.name] = string.format("forward + backward-data ms by width chunk %s; backward ms by rows %s",
      table.concat(notes_wc, ", "), table.concat(notes_bwr, ", "))
  end
  return chosen, why
end

--- A candidate's tuning file text (for the generator's --tuning).
function M.render(arch, net_name, block, convs, values)
  local t = { arch = arch.name, networks = { [net_name] = { block = block } }, convs = {} }
  for _, op in ipairs(convs) do
    local v = values[op.name]
    t.convs[tuning.key(op, block)] = { wc = v.wc, bwr = v.bwr }
  end
  return tuning.render(t, "-- a make tune candidate")
end

return M
