-- gen/tune_plan.lua's choice rules on made-up timings: a value or an
-- algorithm other than the default is taken only when it wins by the margin
-- (and a whole build only when it also wins most rounds).
package.path = "gen/?.lua;" .. package.path
local plan = require("tune_plan")
-- (112x112: by F(4x4) 28 tile rows of 28, the default row group 1)
local convs = { { name = "c1", H = 112, W = 112 }, { name = "c2", H = 112, W = 112 } }
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
-- rows per direct backward-weights call, judged by backward-weights time;
-- dropped where the chosen band is not a multiple of them
local D = "direct"
local cands3 = {
  { values = { c1 = { wc = 14, bwr = 8, algo = D }, c2 = { wc = 14, bwr = 14, algo = D } } },                    -- defaults
  { values = { c1 = { wc = 14, bwr = 8, algo = D, bwc = 2 }, c2 = { wc = 14, bwr = 14, algo = D, bwc = 7 } } },  -- call rows
  { values = { c1 = { wc = 14, bwr = 8, algo = D, bwc = 4 }, c2 = { wc = 14, bwr = 14, algo = D, bwc = 2 } } },  -- call rows
  { values = { c1 = { wc = 14, bwr = 4, algo = D }, c2 = { wc = 14, bwr = 4, algo = D } } },                    -- band rows
}
local timings3 = {
  t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 10, 10, 9 }, { 10, 10, 9 }),      -- c1: 2 rows 10% faster (taken); c2: 7 rows 10% faster, but see below
  t({ 10, 10, 9.5 }, { 10, 10, 9.9 }),  -- c1: 4 rows slower than 2; c2: within noise
  t({ 10, 10.5, 10 }, { 10, 8, 8 }),    -- c1: band of 4 slower; c2: band of 4 faster (taken): 7 rows do not divide it
}
local chosen3, why3 = plan.choose(convs, cands3, timings3, 0.03)
expect("c1 bwr, rows per call", chosen3.c1.bwr .. " " .. tostring(chosen3.c1.bwc), "8 2")
expect("c2 bwr, rows per call (7 dropped)", chosen3.c2.bwr .. " " .. tostring(chosen3.c2.bwc), "4 nil")
local call_note = "backward-weights ms by rows per call default: 10.00, 2: 9.00, 4: 9.50"
expect("c1 why names the call rows", tostring(why3.c1:find(call_note, 1, true) ~= nil), "true")
-- the candidates of a direct conv whose network file names its algorithm:
-- call rows about half and double the default; no algorithm candidates
-- (they would build the same code again)
local direct_conv = { name = "c1", H = 32, W = 32, pool = true, WC = 8, BWR = 8, BWC = 4, algorithm = "direct",
                      passes = { forward = D, backward_data = D, backward_weights = D } }
local names, call_rows = {}, {}
for _, c in ipairs(plan.candidates({ max_width_chunk = 14 }, { direct_conv })) do
  names[#names + 1] = c.name
  if c.values.c1.bwc then call_rows[#call_rows + 1] = tostring(c.values.c1.bwc) end
end
expect("candidates of a named direct conv", table.concat(names, "; "), "defaults; width chunks up to 7; "
  .. "width chunks up to 28; backward rows x0.5; backward rows x2; backward-weights call rows x0.5; "
  .. "backward-weights call rows x2")
expect("their rows per call", table.concat(call_rows, " "), "2 8")
-- another tile faster in every pass wins as a whole
local p = plan.choose_passes(W4, { winograd4 = { 10, 10, 10 }, winograd2 = { 8, 8, 8 }, direct = { 20, 20, 20 } }, 0.03)
expect("F(2x2) faster throughout", passes(p), "winograd2 winograd2 winograd2")
-- a tile with its slow pass direct, against the default's total
p = plan.choose_passes(W4, { winograd4 = { 10, 10, 30 }, winograd2 = { 9, 9, 30 }, direct = { 20, 20, 12 } }, 0.03)
expect("F(2x2) with direct backward-weights", passes(p), "winograd2 winograd2 direct")
-- the algorithms race with the default's tile at its own best groups:
-- F(4x4) at its default groups beats F(8x8) at F(8x8)'s (47 against 55 ms)
-- but not F(8x8) by two whole images (43), which then keeps its groups; a
-- faster F(4x4) (38) still wins, and the F(8x8) groups go with the tile
local W8c = { { name = "c1", H = 32, W = 32 } }
local function w8(extra)
  local v = { wc = 16, bwr = 8, algo = "winograd8" }
  for k, x in pairs(extra) do v[k] = x end
  return { values = { c1 = v } }
end
local cands6 = { w8({}), w8({ wfg = 8 }), w8({ wdg = 8 }), w8({ algo = W4 }) }
local function t1(x) return { layers = { c1 = x } } end
local timings6 = { t1({ 20, 20, 15 }), t1({ 14, 20, 15 }), t1({ 20, 14, 15 }), t1({ 16, 16, 15 }) }
local chosen6, why6 = plan.choose(W8c, cands6, timings6, 0.03)
expect("F(8x8) by its best groups beats F(4x4)", passes(chosen6.c1.passes) .. " " .. tostring(chosen6.c1.wfg) .. " "
  .. tostring(chosen6.c1.wdg), "winograd8 winograd8 winograd8 8 8")
expect("why names F(8x8) at its best groups",
  tostring(why6.c1:find("winograd8 with the groups and knobs above 14.00/14.00/15.00", 1, true) ~= nil), "true")
timings6[4] = t1({ 12, 12, 14 })
chosen6 = plan.choose(W8c, cands6, timings6, 0.03)
expect("a faster F(4x4) still wins, without them", passes(chosen6.c1.passes) .. " " .. tostring(chosen6.c1.wfg) .. " "
  .. tostring(chosen6.c1.wdg), "winograd4 winograd4 winograd4 nil nil")
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
expect("group 6 taken (10% faster), 2 not (1%)", tostring(changed ~= nil) .. " " .. tostring(chosen2.c1.wg), "true 6")
expect("c2's group untouched", tostring(chosen2.c2.wg), "nil")
print("c1 " .. why2.c1)
-- forward and backward-data groups for a conv whose every pass went from
-- the default's F(8x8) to F(4x4) (hep64's conv2 on an Intel host: 8 tile
-- rows), each taken by its own pass's time
local W8 = "winograd8"
local convs3 = { { name = "c1", H = 32, W = 32, algorithm = "auto",
                   passes = { forward = W8, backward_data = W8, backward_weights = W8 } } }
local chosen3 = { c1 = { wc = 16, bwr = 8, passes = { forward = W4, backward_data = W4, backward_weights = W4 } } }
local regroup3 = plan.regroup_candidates(convs3, chosen3)
-- F(4x4)'s default there is 2 tile rows (16 tiles), so half is single
-- rows, double 4 rows, and its 8 rows of 8 tiles make a small layer's
-- whole image (at most 64 tiles)
local function groups_of(cands, key)
  local out = {}
  for _, c in ipairs(cands) do out[#out + 1] = tostring(c.values.c1[key]) end
  return table.concat(out, " ")
end
expect("F(4x4) forward groups of 1, 4 and the image", groups_of(regroup3, "wfg"), "1 4 8")
expect("F(4x4) backward-data groups of 1, 4 and the image", groups_of(regroup3, "wdg"), "1 4 8")
-- at 56x56 F(4x4) has 14 tile rows of 14 and the default is 2 rows (28
-- tiles): half is single rows, and "up to 4" is 2 again, the default, not
-- timed (the second candidate leaves it at the chosen default)
local regroup56 = plan.regroup_candidates({ { name = "c1", H = 56, W = 56, algorithm = "auto",
  passes = { forward = W8, backward_data = W8, backward_weights = W8 } } }, chosen3)
expect("14 tile rows: forward group 1, once; 196 tiles are no small image",
  tostring(regroup56[1].values.c1.wfg) .. " " .. tostring(regroup56[2] and regroup56[2].values.c1.wfg), "1 nil")
-- at 28x28 F(4x4) has 7 tile rows of 7: the default is the whole image
-- (49 tiles), and the one other forward and backward-data group is single
-- rows (no group of 2 to 4 rows divides 7; the second candidate times a
-- backward-weights group only, and a whole image is the default)
local regroup28 = plan.regroup_candidates({ { name = "c1", H = 28, W = 28, algorithm = "auto",
  passes = { forward = W8, backward_data = W8, backward_weights = W8 } } }, chosen3)
expect("7 tile rows: forward groups, single rows only", groups_of(regroup28, "wfg") .. "; "
  .. groups_of(regroup28, "wdg") .. "; " .. tostring(regroup28[3]), "1 nil; 1 nil; nil")
local why3 = { c1 = "c1" }
changed = plan.choose_regrouped(convs3, chosen3, t({ 10, 10, 10 }, {}), regroup3,
  { t({ 9.9, 8, 10 }, {}), t({ 7, 9, 10.5 }, {}), t({ 7.5, 8.5, 10 }, {}) }, 0.03, why3)
expect("forward 4 (30%), backward-data 1 (20%) taken",
  tostring(changed ~= nil) .. " " .. tostring(chosen3.c1.wfg) .. " " .. tostring(chosen3.c1.wdg), "true 4 1")
local data_note = "winograd4 backward-data ms by group of tile rows default 2: 10.00, 1: 8.00, 4: 9.00, 8: 8.50"
expect("their figures in why", tostring(why3.c1:find(data_note, 1, true) ~= nil), "true")
-- a regrouped build that loses its race puts the first round's groups back
chosen3.c1.wg = 5
changed()
expect("put back: forward and backward-data groups unset, wg untouched",
  tostring(chosen3.c1.wfg) .. " " .. tostring(chosen3.c1.wdg) .. " " .. tostring(chosen3.c1.wg), "nil nil 5")
expect("nothing within the margin: nothing to put back", tostring(plan.choose_regrouped(convs3, chosen3,
  t({ 10, 10, 10 }, {}), regroup3, { t({ 9.9, 9.9, 10 }, {}), t({ 9.8, 9.8, 10 }, {}), t({ 9.8, 9.9, 10 }, {}) }, 0.03,
  { c1 = "c1" })), "nil")
-- groups of whole images where an image has few tiles (on an arch with
-- wino_bwd_images): F(4x4) at 16x16 has
-- 4 tile rows of 4 (default group 4 images, 16 tile rows), so half and
-- double are 2 and 8 images; F(4x4) at 28x28 (7 rows of 7, default one
-- image) doubles to 2 images, and its half is a divisor of 7
local convs4 = { { name = "c1", H = 16, W = 16, wino_bwd_images = true, passes = { backward_weights = "winograd2" } },
                 { name = "c2", H = 28, W = 28, wino_bwd_images = true, passes = { backward_weights = "winograd2" } },
                 { name = "c3", H = 16, W = 16, passes = { backward_weights = "winograd2" } } }
local W4all = { forward = W4, backward_data = W4, backward_weights = W4 }
local regroup4 = plan.regroup_candidates(convs4, { c1 = { wc = 16, bwr = 8, passes = W4all },
                                                   c2 = { wc = 28, bwr = 8, passes = W4all },
                                                   c3 = { wc = 16, bwr = 8, passes = W4all } })
expect("16x16 F(4x4) groups by images", tostring(regroup4[1].values.c1.wg) .. " " .. tostring(regroup4[2].values.c1.wg),
  "8 32")
expect("28x28 F(4x4) groups", tostring(regroup4[1].values.c2.wg) .. " " .. tostring(regroup4[2].values.c2.wg), "1 14")
-- an arch without wino_bwd_images (hsw) defaults to one image, and is
-- offered 2 tile rows and 2 images
expect("16x16 F(4x4) groups, one image by default",
  tostring(regroup4[1].values.c3.wg) .. " " .. tostring(regroup4[2].values.c3.wg), "2 8")
-- AVX2 code for a Winograd backward-weights: a candidate on an AVX-512
-- arch only, for convs whose algorithm is the tuner's to choose; taken
-- past the margin, judged by backward-weights time
local wconv = { name = "c1", H = 32, W = 32, pool = true, WC = 16, BWR = 8, BWC = 8, WG = 8, wino = 4, algorithm = "auto",
                wino_bwd_w = true, passes = { forward = W4, backward_data = W4, backward_weights = W4 } }
local dconv = { name = "c2", H = 32, W = 32, pool = true, WC = 16, BWR = 8, BWC = 8, algorithm = "direct",
                passes = { forward = "direct", backward_data = "direct", backward_weights = "direct" } }
local function code_candidates(arch)
  local found = {}
  for _, c in ipairs(plan.candidates(arch, { wconv, dconv })) do
    if c.name:find("AVX2", 1, true) then
      found[#found + 1] = tostring(c.values.c1.bwd_w_code) .. " " .. tostring(c.values.c2.bwd_w_code)
    end
  end
  return table.concat(found, "; ")
end
expect("AVX2-code candidate, AVX-512 arch", code_candidates({ max_width_chunk = 28, vector_floats = 16 }), "avx2 nil")
expect("AVX2-code candidate, AVX2 arch", code_candidates({ max_width_chunk = 14, vector_floats = 8 }), "")
-- the generator's default forward and backward-data group (gen/shapes.lua):
-- the fewest whole tile rows holding 16 tiles, among groups of at most 64
local shapes = require("shapes")
local function default_rows(H, W, T) return shapes.default_row_group({ H = H, W = W }, T) end
expect("default groups: 32x32 F(4x4), F(8x8); 16x16 F(4x4)",
  string.format("%d %d %d", default_rows(32, 32, 4), default_rows(32, 32, 8), default_rows(16, 16, 4)), "2 4 4")
expect("default groups: 28x28 and 56x56 F(4x4); 14x14 F(2x2)",
  string.format("%d %d %d", default_rows(28, 28, 4), default_rows(56, 56, 4), default_rows(14, 14, 2)), "7 2 7")
expect("default groups: 112x112 F(4x4), F(8x8); 512 wide F(4x4)",
  string.format("%d %d %d", default_rows(112, 112, 4), default_rows(112, 112, 8), default_rows(64, 512, 4)), "1 2 1")
-- no group of 16 to 64 tiles: 7 rows of 5 (35 tiles); 13 rows of 10 (130)
expect("default groups: 28x20 and 52x40 F(4x4)",
  string.format("%d %d", default_rows(28, 20, 4), default_rows(52, 40, 4)), "7 1")
-- first round: forward and backward-data groups of single tile rows, of
-- up to 2 and 4 tile rows and of a small layer's whole image, each size
-- once where it differs from the smaller sizes' and from the default
-- (28x28 F(4x4): 7 tile rows, the default the whole image, so single rows
-- only; 32x32: the default 2 rows, so 1, 4 and the image's 8)
local function group_candidates(op)
  local found = {}
  for _, c in ipairs(plan.candidates({ max_width_chunk = 28, vector_floats = 16 }, { op })) do
    if c.name:find("groups of", 1, true) then
      found[#found + 1] = string.format("%s %s/%s", c.name:match("^Winograd (%S+)"), tostring(c.values.c1.wfg),
        tostring(c.values.c1.wdg))
    end
  end
  return table.concat(found, "; ")
end
local conv28 = { name = "c1", H = 28, W = 28, pool = true, WC = 28, BWR = 14, BWC = 14, WG = 7, wino = 4,
                 algorithm = "auto", passes = { forward = W4, backward_data = W4, backward_weights = W4 } }
expect("28x28 F(4x4): single rows", group_candidates(conv28), "forward 1/nil; backward-data nil/1")
wconv.WG = 8
expect("32x32 F(4x4): 1, 4, the image", group_candidates(wconv),
  "forward 1/nil; forward 4/nil; forward 8/nil; backward-data nil/1; backward-data nil/4; backward-data nil/8")
-- 32x32 by F(8x8): 4 tile rows of 4, the default the whole image; both
-- passes also two whole images (32 tiles); a batch-norm conv not at all (it
-- takes one image a group)
local W8conv = { name = "c1", H = 32, W = 32, pool = true, WC = 16, BWR = 8, BWC = 8, WG = 4, wino = 8,
                 algorithm = "auto", passes = { forward = W8, backward_data = W8, backward_weights = W8 } }
expect("32x32 F(8x8): 1, 2, two images", group_candidates(W8conv),
  "forward 1/nil; forward 2/nil; forward 8/nil; backward-data nil/1; backward-data nil/2; backward-data nil/8")
W8conv.bn = { eps = 1e-5 }
expect("32x32 F(8x8), batch norm: no images group", group_candidates(W8conv),
  "forward 1/nil; forward 2/nil; backward-data nil/1; backward-data nil/2")
-- candidates that change other passes share a build (plan.pack), first
-- fit: a width chunk (forward, backward-data) with call rows and a group
-- (backward-weights), rows (both backward passes) with a forward group,
-- ...; the defaults and each algorithm keep their own; each conv's values
-- carry every change of the build's candidates
local single = plan.candidates({ max_width_chunk = 28, vector_floats = 16 }, { wconv, dconv })
local packed = plan.pack({ wconv, dconv }, single)
local packed_names = {}
for _, c in ipairs(packed) do packed_names[#packed_names + 1] = c.name end
expect("packed: 19 candidates in 12 builds", tostring(#single) .. " " .. tostring(#packed), "19 12")
expect("packed: the first five", table.concat(packed_names, "; ", 1, 5), "defaults; "
  .. "width chunks up to 14 + backward-weights call rows x0.5; width chunks up to 56 + Winograd groups x0.5; "
  .. "backward rows x0.5 + Winograd forward groups of single tile rows; "
  .. "backward rows x2 + Winograd forward groups of up to 4 tile rows")
expect("packed: the rest", table.concat(packed_names, "; ", 6), "Winograd groups x2 + Winograd forward groups of a "
  .. "whole image of tile rows + Winograd backward-data groups of single tile rows; Winograd backward-weights as AVX2 "
  .. "code + Winograd backward-data groups of up to 4 tile rows; Winograd backward-data groups of a whole image of tile "
  .. "rows; direct where it fits; winograd2 where it fits; winograd6 where it fits; winograd8 where it fits")
local shared = packed[2].values
expect("packed: a shared build's values", string.format("%d %s %s / %d %s", shared.c1.wc, tostring(shared.c1.bwc),
  shared.c1.algo, shared.c2.wc, tostring(shared.c2.bwc)), "8 nil winograd4 / 8 4")
expect("packed: another build's, the defaults' elsewhere", string.format("%d %d %s %s / %d %d", packed[4].values.c1.wc,
  packed[4].values.c1.bwr, tostring(packed[4].values.c1.wg), tostring(packed[4].values.c1.wfg), packed[4].values.c2.wc,
  packed[4].values.c2.bwr), "16 4 nil 1 / 16 4")
local passes_free = true
for _, c in ipairs(packed) do
  local seen = {}
  for part in (c.name .. " + "):gmatch("(.-) %+ ") do
    local key = part:match("^width") and "12" or part:match("^backward rows") and "23" or part:match("forward groups")
      and "1" or part:match("backward%-data groups") and "2" or part:match("where it fits") and "123" or "3"
    for pass in key:gmatch("%d") do
      passes_free = passes_free and not seen[pass]
      seen[pass] = true
    end
  end
end
expect("packed: no pass changed twice in a build", tostring(passes_free), "true")
-- a value is judged from a build whose other changes leave its passes
-- alone: the width chunk beside a backward-weights group, the rows beside a
-- forward group, each group by its own pass; a width chunk beside a
-- forward group (both change the forward) judges neither
local c1only = { { name = "c1", H = 112, W = 112 } }
local function cv(v) return { values = { c1 = v } } end
local cands7 = { cv({ wc = 28, bwr = 8, algo = W4 }), cv({ wc = 14, bwr = 8, algo = W4, wg = 2 }),
                 cv({ wc = 28, bwr = 4, algo = W4, wfg = 2 }) }
local timings7 = { t1({ 10, 10, 10 }), t1({ 9, 9, 9 }), t1({ 9, 9, 9 }) }
local chosen7 = plan.choose(c1only, cands7, timings7, 0.03)
expect("shared builds: wc, bwr, wg, wfg", string.format("%d %d %s %s", chosen7.c1.wc, chosen7.c1.bwr,
  tostring(chosen7.c1.wg), tostring(chosen7.c1.wfg)), "14 4 2 2")
cands7[2] = cv({ wc = 14, bwr = 8, algo = W4, wfg = 2 })
cands7[3] = cv({ wc = 28, bwr = 4, algo = W4, wdg = 2 })
chosen7 = plan.choose(c1only, cands7, timings7, 0.03)
expect("shared builds: passes changed twice judge nothing", string.format("%d %d %s %s", chosen7.c1.wc, chosen7.c1.bwr,
  tostring(chosen7.c1.wfg), tostring(chosen7.c1.wdg)), "28 8 nil nil")
local cands5 = {
  { values = { c1 = { wc = 16, bwr = 8, algo = W4 }, c2 = { wc = 16, bwr = 8, algo = W4 } } },
  { values = { c1 = { wc = 16, bwr = 8, algo = W4, bwd_w_code = "avx2" }, c2 = { wc = 16, bwr = 8, algo = W4, bwd_w_code = "avx2" } } },
}
local chosen5, why5 = plan.choose(convs, cands5, { t({ 10, 10, 10 }, { 10, 10, 10 }), t({ 10, 10, 9 }, { 10, 10, 9.9 }) }, 0.03)
expect("AVX2 code taken (10% faster), not within noise", tostring(chosen5.c1.bwd_w_code) .. " " .. tostring(chosen5.c2.bwd_w_code),
  "avx2 nil")
expect("why names the code", tostring(why5.c1:find("backward-weights ms by code default: 10.00, avx2: 9.00", 1, true) ~= nil), "true")
-- the timing rounds: each figure the least of its rounds (a noisy round
-- costs nothing), the order reversed every other round
local function r(step, f, b, w) return { step = step, layers = { c1 = { f, b, w } } } end
local least = plan.least({ r(12, 5, 6, 9), r(10, 7, 4, 8), r(30, 20, 20, 20) })
expect("least of rounds: step, c1 figures", string.format("%g %g %g %g", least.step, least.layers.c1[1],
  least.layers.c1[2], least.layers.c1[3]), "10 5 4 8")
expect("least of rounds keeps every round's step", table.concat(least.steps, " "), "12 10 30")
expect("round orders 1, 2, 3", table.concat(plan.round_order(3, 1), "") .. " " .. table.concat(plan.round_order(3, 2), "")
  .. " " .. table.concat(plan.round_order(3, 3), ""), "123 321 123")
-- a build beats another raced in the same rounds only past the margin on
-- its least step and in most rounds pair by pair: hep64's noisy last race
-- (block 32's one lucky round) keeps the incumbent
local function steps(...)
  local rounds = {}
  for i, s in ipairs({ ... }) do rounds[i] = { step = s, layers = {} } end
  return plan.least(rounds)
end
local b64, b32 = steps(133.7, 129.4, 129.1), steps(136.2, 124.2, 135.1)
expect("one lucky round: no", tostring(plan.beats(b32, b64, 0.03)), "false")
expect("2 of 3 rounds, past the margin: yes", tostring(plan.beats(steps(120, 124, 140), b64, 0.03)), "true")
expect("every round, within the margin: no", tostring(plan.beats(steps(128, 127, 126), b64, 0.03)), "false")
expect("one round, past the margin: yes", tostring(plan.beats(steps(120), steps(130), 0.03)), "true")
expect("margin 0, faster in 1 of 2 rounds: no", tostring(plan.beats(steps(100, 110), steps(101, 105), 0)), "false")
-- a race is undecided where the least steps lie closer than the rounds
-- spread: block 32's lucky round (4% ahead, its median 9% above it), and
-- hep224's regrouped build (6% behind on the other's one quiet round, whose
-- median was 26% above it); not so for a build steadily 2% faster
local regrouped, combined = steps(702.1, 698.7, 976.5), steps(889.0, 658.9, 831.6)
expect("undecided: a lucky round; a gap within the noise", tostring(plan.undecided(b32, b64)) .. " "
  .. tostring(plan.undecided(regrouped, combined)), "true true")
expect("decided: gaps past the noise (won, lost, steadily 2% faster)", tostring(plan.undecided(steps(120, 124, 140), b64))
  .. " " .. tostring(plan.undecided(steps(140, 141, 142), b64)) .. " "
  .. tostring(plan.undecided(steps(126.6, 126.8, 126.5), b64)), "false false false")
-- more rounds while a contest is undecided: every contest's builds, not the
-- others (3: a candidate timed for its layers only), up to `most` rounds
local function rounds_of(...)
  local list = {}
  for i, s in ipairs({ ... }) do list[i] = { step = s, layers = {} } end
  return list
end
local race = { rounds_of(889.0, 658.9, 831.6), rounds_of(702.1, 698.7, 976.5), rounds_of(500, 500, 500) }
local more = plan.extra_round(race, { { 2, 1 } }, 8)
expect("undecided: another round of builds 1 and 2", more and table.concat(more, " "), "1 2")
-- quieter rounds: 660 against 640, 661 against 641 leave the regrouped
-- build's median at 698.7 (9% above its least), 662 against 639 settle it
local function another(a, b) race[1][#race[1] + 1], race[2][#race[2] + 1] = { step = a, layers = {} }, { step = b, layers = {} } end
another(660, 640); another(661, 641)
expect("after 5 rounds, still within the noise", tostring(plan.extra_round(race, { { 2, 1 } }, 8) ~= nil), "true")
another(662, 639)
expect("after 6, decided", tostring(plan.extra_round(race, { { 2, 1 } }, 8)), "nil")
expect("and the regrouped build beats the other (4 of 6 rounds)",
  tostring(plan.beats(plan.least(race[2]), plan.least(race[1]), 0)), "true")
expect("at the most rounds: no more", tostring(plan.extra_round({ rounds_of(889.0, 658.9, 831.6),
  rounds_of(702.1, 698.7, 976.5) }, { { 2, 1 } }, 3)), "nil")
expect("one contest open: every contest's builds", table.concat(plan.extra_round({ rounds_of(889.0, 658.9, 831.6),
  rounds_of(702.1, 698.7, 976.5), rounds_of(1000, 1000, 1000) }, { { 2, 1 }, { 3, 1 } }, 6) or {}, " "), "1 2 3")
-- the Winograd forward group, judged by forward time (a faster backward-weights
-- does not take it), and dropped where the forward leaves the default's algorithm
local cands4 = {
  { values = { c1 = { wc = 16, bwr = 8, algo = W4 }, c2 = { wc = 16, bwr = 8, algo = W4 } } },                   -- defaults
  { values = { c1 = { wc = 16, bwr = 8, algo = W4, wfg = 4 }, c2 = { wc = 16, bwr = 8, algo = W4, wfg = 2 } } },  -- groups
  { values = { c1 = { wc = 16, bwr = 8, algo = "direct" }, c2 = { wc = 16, bwr = 8, algo = "direct" } } },
}
local timings4 = {
  t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 7, 10, 10 }, { 10, 10, 7 }),      -- c1: forward 30% faster (taken); c2: only backward-weights faster
  t({ 20, 20, 20 }, { 20, 20, 20 }),
}
local chosen4, why4 = plan.choose(convs, cands4, timings4, 0.03)
expect("c1 forward group", tostring(chosen4.c1.wfg), "4")
expect("c2 forward group (forward not faster)", tostring(chosen4.c2.wfg), "nil")
expect("c1 forward group note", tostring(why4.c1:find("forward ms by Winograd forward group (tile rows) default 1: 10.00, 4: 7.00", 1, true) ~= nil), "true")
timings4[3] = t({ 5, 5, 5 }, { 20, 20, 20 })   -- c1's forward now direct: its group goes
chosen4 = plan.choose(convs, cands4, timings4, 0.03)
expect("c1 forward group with a direct forward", tostring(chosen4.c1.wfg), "nil")
-- the backward-data group likewise, by backward-data time: a faster forward
-- in the same build does not take it, nor does it take a forward group
local cands5 = {
  cands4[1],
  { values = { c1 = { wc = 16, bwr = 8, algo = W4, wdg = 2 }, c2 = { wc = 16, bwr = 8, algo = W4, wdg = 4 } } },
  cands4[3],
}
local timings5 = {
  t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 10, 8, 10 }, { 7, 10, 10 }),      -- c1: backward-data 20% faster (taken); c2: only the forward faster
  t({ 20, 20, 20 }, { 20, 20, 20 }),
}
local chosen5, why5 = plan.choose(convs, cands5, timings5, 0.03)
expect("c1 backward-data group", tostring(chosen5.c1.wdg), "2")
expect("c2 backward-data group (not faster)", tostring(chosen5.c2.wdg), "nil")
expect("c2 no forward group from it", tostring(chosen5.c2.wfg), "nil")
expect("c1 backward-data group note",
  tostring(why5.c1:find("backward-data ms by Winograd backward-data group (tile rows) default 1: 10.00, 2: 8.00", 1, true) ~= nil), "true")
timings5[3] = t({ 20, 5, 20 }, { 20, 20, 20 })   -- c1's backward-data now direct: its group goes
chosen5 = plan.choose(convs, cands5, timings5, 0.03)
expect("c1 backward-data group, direct bwd-d", tostring(chosen5.c1.wdg), "nil")
-- the tuning file says why a block's own per-layer choices were not taken
expect("kept defaults, slower", plan.kept_defaults_note(500.04, 495.3, 0.03),
  " (per-layer choices 500.0 ms/step against the defaults' 495.3: defaults kept)")
expect("kept defaults, within the margin", plan.kept_defaults_note(484.4, 495.3, 0.03),
  " (per-layer choices 484.4 ms/step against the defaults' 495.3: faster, but not by the 3% margin in most"
  .. " rounds: defaults kept)")
-- the first dense layer's backward-data: in place only past the margin on
-- that pass, and with the step no slower beyond it
local function dense_t(bwd_d, step) return { layers = { fc1 = { 1.1, bwd_d, 1.1 } }, step = step } end
expect("dense: in place, faster", (plan.choose_dense("fc1", dense_t(1.45, 55.0), dense_t(1.24, 54.8), 0.03)), "in_place")
expect("dense: in place, within the margin", (plan.choose_dense("fc1", dense_t(1.45, 55.0), dense_t(1.42, 54.0), 0.03)),
  "packed")
expect("dense: in place, the step slower", (plan.choose_dense("fc1", dense_t(1.45, 55.0), dense_t(1.24, 57.0), 0.03)),
  "packed")
expect("dense: the figures", select(2, plan.choose_dense("fc1", dense_t(1.45, 55.0), dense_t(1.24, 54.8), 0.03)),
  "backward-data ms packed 1.45, in place 1.24; ms/step 55.0, 54.8")
-- the race is not run where the passes it changes (forward + backward-data,
-- not backward-weights) are under the share of the step: hep224's 128->2
-- layer (0.02 + 0.08 ms of 338) is; hep64's fc1 (2.2 + 2.5 of 122) is not
local function share_t(fwd, bwd_d, bwd_w, step) return { layers = { fc = { fwd, bwd_d, bwd_w } }, step = step } end
expect("dense negligible: hep224's", (plan.dense_negligible("fc", share_t(0.02, 0.08, 0.01, 338.3), 0.01)), true)
expect("dense negligible: hep64's fc1", (plan.dense_negligible("fc", share_t(2.18, 2.53, 2.42, 122.0), 0.01)), false)
expect("dense negligible: backward-weights not counted",
  (plan.dense_negligible("fc", share_t(0.5, 0.4, 5.0, 100.0), 0.01)), true)
expect("dense negligible: at the share", (plan.dense_negligible("fc", share_t(0.5, 0.5, 0.0, 100.0), 0.01)), false)
expect("dense negligible: a share of 0 races every layer",
  (plan.dense_negligible("fc", share_t(0.0, 0.0, 0.0, 0.1), 0)), false)
expect("dense negligible: the figures", select(2, plan.dense_negligible("fc", share_t(0.02, 0.08, 0.01, 338.3), 0.01)),
  "forward + backward-data 0.10 ms of a 338.3 ms step, under 1% of it: its defaults, not raced")
-- its forward's inputs per call: 2048 and 4096 where they divide the
-- inputs, above the default, below all of them
expect("dense kcs: hep64's fc1", table.concat(plan.dense_kcs(8192, 512), " "), "2048 4096")
expect("dense kcs: 4096 inputs", table.concat(plan.dense_kcs(4096, 512), " "), "2048")
expect("dense kcs: 6144 inputs", table.concat(plan.dense_kcs(6144, 512), " "), "2048")
expect("dense kcs: 128 inputs", table.concat(plan.dense_kcs(128, 128), " "), "")
-- the least forward, past the margin, with the step no slower beyond it
local function fwd_t(fwd, step) return { layers = { fc1 = { fwd, 2.2, 1.5 } }, step = step } end
expect("dense kc: the fastest", tostring((plan.choose_dense_kc("fc1", 512, fwd_t(1.90, 95.0), { 2048, 4096 },
  { fwd_t(1.76, 95.1), fwd_t(1.66, 94.8) }, 0.03))), "4096")
expect("dense kc: the default within the margin", tostring((plan.choose_dense_kc("fc1", 512, fwd_t(1.90, 95.0),
  { 2048, 4096 }, { fwd_t(1.87, 95.1), fwd_t(1.86, 94.8) }, 0.03))), "nil")
expect("dense kc: the step slower", tostring((plan.choose_dense_kc("fc1", 512, fwd_t(1.90, 95.0), { 2048, 4096 },
  { fwd_t(1.76, 95.1), fwd_t(1.66, 99.0) }, 0.03))), "2048")
expect("dense kc: the figures", select(2, plan.choose_dense_kc("fc1", 512, fwd_t(1.90, 95.0), { 2048, 4096 },
  { fwd_t(1.76, 95.1), fwd_t(1.66, 94.8) }, 0.03)), "forward ms by inputs per call 512: 1.90, 2048: 1.76, 4096: 1.66")
-- the channel blocks tried: at most two that fit every conv; a max-pooled
-- conv's must be a multiple of 16 (its mask's groups), so hsw's 8 is never
-- tried there (it failed the generator's assertion, a traceback)
local hsw = { channel_block = { 32, 64, 16, 8 } }
expect("blocks: 16 filters, max-pooled", table.concat(plan.blocks(hsw, { { K = 16, pool = true } }), " "), "16")
expect("blocks: 16 filters, no pool", table.concat(plan.blocks(hsw, { { K = 16 } }), " "), "16 8")
expect("blocks: 128 filters, max-pooled", table.concat(plan.blocks(hsw, { { K = 128, pool = true } }), " "), "32 64")
expect("blocks: 24 filters, max-pooled", table.concat(plan.blocks(hsw, { { K = 24, pool = true } }), " "), "")
-- after the first round, the candidates timed no more: those behind the
-- defaults by plan.HOPELESS (1.5) in every cost that judges what they
-- change, in every conv they change (cands: 2 narrower chunks, judged by
-- forward + backward-data; 3 other rows, by backward-data +
-- backward-weights; 4 direct, pass by pass; 5 groups, by backward-weights)
local function hopeless_of(first) return table.concat(plan.hopeless(convs, cands, first), " ") end
expect("hopeless: none", hopeless_of(timings), "")
expect("hopeless: all far behind", hopeless_of({ t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 15, 15, 10 }, { 16, 14, 10 }), t({ 10, 15, 15 }, { 10, 20, 20 }), t({ 15, 15, 15 }, { 30, 30, 30 }),
  t({ 10, 10, 15 }, { 10, 10, 15 }) }), "2 3 4 5")
-- behind in all but one judged cost: kept (direct's c1 forward 1.4x, the
-- groups' c2 backward-weights 1.4x); a pass a candidate does not change
-- does not keep it (2's backward-weights, 5's forward)
expect("hopeless: one cost close", hopeless_of({ t({ 10, 10, 10 }, { 10, 10, 10 }),
  t({ 15, 15, 1 }, { 16, 14, 1 }), t({ 10, 15, 15 }, { 10, 20, 20 }), t({ 14, 15, 15 }, { 30, 30, 30 }),
  t({ 1, 10, 15 }, { 10, 10, 14 }) }), "2 3")
-- a cost the defaults took no time for keeps the candidates it judges (c1's
-- backward-weights: direct's and the groups')
expect("hopeless: a zero cost", hopeless_of({ t({ 10, 10, 0 }, { 10, 10, 10 }),
  t({ 15, 15, 10 }, { 16, 14, 10 }), t({ 10, 15, 15 }, { 10, 20, 20 }), t({ 15, 15, 15 }, { 30, 30, 30 }),
  t({ 10, 10, 15 }, { 10, 10, 15 }) }), "2 3")
-- a race's lines: the figures in one column past the longest name, however
-- long (string.format's widths stop at 99, and a name of 116 characters
-- killed make tune)
local long = string.rep("Winograd groups x2 + ", 5) .. "AVX2 code"
local line_long = plan.race_line(32, long, #long, { step = 120.04, steps = { 130.2, 120.04, 125 } })
local line_short = plan.race_line(32, "defaults", #long, { step = 99.5, steps = { 99.5 } })
expect("race line, a 114-character name", tostring(line_long ==
  "  B=32  " .. long .. "     120.0 ms/step (rounds 130.2 120.0 125.0)\n"), "true")
expect("race lines' figures in one column", tostring(line_short:find(" ms/step", 1, true)),
  tostring(line_long:find(" ms/step", 1, true)))
os.exit(ok and 0 or 1)
