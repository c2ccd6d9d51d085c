-- gen/tune_plan.lua's choice rule on made-up timings: a value other than the
-- default is taken only when it wins by the margin.
package.path = "gen/?.lua;" .. package.path
local plan = require("tune_plan")
local convs = { { name = "c1" }, { name = "c2" } }
local cands = {
  { values = { c1 = { wc = 28, bwr = 8 }, c2 = { wc = 14, bwr = 8 } } },   -- defaults
  { values = { c1 = { wc = 14, bwr = 8 }, c2 = { wc = 7, bwr = 8 } } },    -- narrower chunks
  { values = { c1 = { wc = 28, bwr = 4 }, c2 = { wc = 14, bwr = 16 } } },  -- other rows
}
local function t(c1, c2) return { layers = { c1 = c1, c2 = c2 } } end
local timings = {
  t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 8, 10, 10 }, { 9.9, 10, 10 }),    -- c1: 10% faster forward (taken); c2: 0.5% (noise: not taken)
  t({ 10, 10, 10.5 }, { 10, 9, 9 }),    -- c1: slower backward; c2: 10% faster backward (taken)
}
local chosen, why = plan.choose(convs, cands, timings, 0.03)
local ok = chosen.c1.wc == 14 and chosen.c1.bwr == 8 and chosen.c2.wc == 14 and chosen.c2.bwr == 16
print(string.format("c1: wc %d bwr %d; c2: wc %d bwr %d", chosen.c1.wc, chosen.c1.bwr, chosen.c2.wc, chosen.c2.bwr))
print("c1 " .. why.c1)
os.exit(ok and 0 or 1)
