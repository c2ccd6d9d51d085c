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
-- second round: groups for the tile a conv's backward-weights was given
-- (F(6x6) at 112x112: 19 tile rows, default group 3) where the cost model
-- had another; none for a conv that kept the default's tile
local W6 = { forward = "winograd6", backward_data = "winograd6", backward_weights = "winograd6" }
local convs2 = { { name = "c1", H = 112, W = 112, passes = { backward_weights = W4 } },
                 { name = "c2", H = 56, W = 56, passes = { backward_weights = W4 } } }
local chosen2 = { c1 = { wc = 28, bwr = 8, passes = W6 },
                  c2 = { wc = 28, bwr = 8, passes = { forward = W4, backward_data = W4, backward_weights = W4 } } }
local regroup = plan.regroup_candidates(convs2, chosen2)
expect("second-round candidates", tostring(#regroup), "2")
expect("their F(6x6) groups (the tie 1 or 2 to 2)", tostring(regroup[1].values.c1.wg) .. " " .. tostring(regroup[2].values.c1.wg), "2 6")
expect("c2 (default tile) untouched", tostring(regroup[1].values.c2.wg) .. " " .. tostring(regroup[2].values.c2.wg),
  "nil nil")
local why2 = { c1 = "c1", c2 = "c2" }
local base = t({ 10, 10, 10 }, { 5, 5, 5 })
local changed = plan.choose_regrouped(convs2, chosen2, base, regroup,
  { t({ 10, 10, 9.9 }, { 5, 5, 4 }), t({ 10, 10, 9 }, { 5, 5, 4 }) }, 0.03, why2)
expect("group 6 taken (10% faster), 2 not (1%)", tostring(changed) .. " " .. tostring(chosen2.c1.wg), "true 6")
expect("c2's group untouched", tostring(chosen2.c2.wg), "nil")
print("c1 " .. why2.c1)
os.exit(ok and 0 or 1)
