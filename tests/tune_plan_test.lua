-- gen/tune_plan.lua's choice rules on made-up timings: a value or an
-- algorithm other than the default is taken only when it wins by the margin.
package.path = "gen/?.lua;" .. package.path
local plan = require("tune_plan")
local convs = { { name = "c1" }, { name = "c2" } }
local W4 = "winograd4"
local cands = {
  { values = { c1 = { wc = 28, bwr = 8, algo = W4 }, c2 = { wc = 14, bwr = 8, algo = W4 } } },        -- defaults
  { values = { c1 = { wc = 14, bwr = 8, algo = W4 }, c2 = { wc = 7, bwr = 8, algo = W4 } } },         -- narrower chunks
  { values = { c1 = { wc = 28, bwr = 4, algo = W4 }, c2 = { wc = 14, bwr = 16, algo = W4 } } },       -- other rows
  { values = { c1 = { wc = 28, bwr = 8, algo = "direct" }, c2 = { wc = 14, bwr = 8, algo = "direct" } } },
  { values = { c1 = { wc = 28, bwr = 8, algo = W4, wg = 2 }, c2 = { wc = 14, bwr = 8, algo = W4, wg = 4 } } },  -- groups
}
local function t(c1, c2) return { layers = { c1 = c1, c2 = c2 } } end
local timings = {
  t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 8, 10, 10 }, { 9.9, 10, 10 }),    -- c1: 10% faster forward (taken); c2: 0.5% (noise: not taken)
  t({ 10, 10, 10.5 }, { 10, 9, 9 }),    -- c1: slower backward; c2: 10% faster backward (taken)
  t({ 12, 9, 20 }, { 9.8, 9.8, 9.8 }),  -- c1: direct backward-data past the margin; c2: direct within it
  t({ 7, 7, 9 }, { 10, 10, 9.9 }),      -- c1: group 10% faster backward-weights (taken, and nothing else
                                        -- from this run); c2: 1% (not taken)
}
local ok = true
local function expect(what, got, want)
  print(string.format("%-34s %s", what, got))
  ok = ok and got == want
end
local chosen, why = plan.choose(convs, cands, timings, 0.03)
local function passes(p) return string.format("%s %s %s", p.forward, p.backward_data, p.backward_weights) end
expect("c1 wc, bwr", chosen.c1.wc .. " " .. chosen.c1.bwr, "14 8")
expect("c2 wc, bwr", chosen.c2.wc .. " " .. chosen.c2.bwr, "14 16")
expect("c1 passes (direct bwd-d only)", passes(chosen.c1.passes), "winograd4 direct winograd4")
expect("c2 passes (direct within noise)", passes(chosen.c2.passes), "winograd4 winograd4 winograd4")
expect("c1 Winograd group", tostring(chosen.c1.wg), "2")
expect("c2 Winograd group (within noise)", tostring(chosen.c2.wg), "nil")
-- a group is dropped when backward-weights leaves the default's algorithm
local t5 = timings[5]
timings[5] = t({ 7, 7, 9 }, { 10, 10, 9.9 })
timings[4] = t({ 12, 9, 5 }, { 9.8, 9.8, 9.8 })
chosen = plan.choose(convs, cands, timings, 0.03)
expect("c1 group with direct backward-weights", tostring(chosen.c1.wg), "nil")
timings[5] = t5
print("c1 " .. why.c1)
-- another tile faster in every pass wins as a whole
local p = plan.choose_passes(W4, { winograd4 = { 10, 10, 10 }, winograd2 = { 8, 8, 8 }, direct = { 20, 20, 20 } }, 0.03)
expect("F(2x2) faster throughout", passes(p), "winograd2 winograd2 winograd2")
-- a tile with its slow pass direct, against the default's total
p = plan.choose_passes(W4, { winograd4 = { 10, 10, 30 }, winograd2 = { 9, 9, 30 }, direct = { 20, 20, 12 } }, 0.03)
expect("F(2x2) with direct backward-weights", passes(p), "winograd2 winograd2 direct")
os.exit(ok and 0 or 1)
