--- make tune NET=.. ARCH=..: times candidate blockings of every conv layer
-- of a network on this machine (gen/tune_plan.lua says which and how it
-- chooses) and writes the fastest into the arch's tuning file
-- (gen/tuning.lua; native: the file of the arch whose blocking it follows),
-- keeping the entries of other networks and shapes.
--
-- Usage (through make): CC=mpicc lua5.4 gen/tune.lua NET ARCH
-- Environment: TUNE_STEPS (timed steps per candidate, default 4),
-- TUNE_MARGIN (what a non-default choice must gain, default 0.03),
-- TUNE_BATCH (default 16 for inputs of 128 pixels or more, else 64),
-- TUNE_OUT (the file to write, default tuning/<arch>.lua).
local script_dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path
local dsl = require("dsl")
local shapes = require("shapes")
local archs = require("arch")
local isa = require("isa")
local tuning = require("tuning")
local plan = require("tune_plan")

local function die(msg)
  io.stderr:write("tune: ", msg, "\n")
  os.exit(1)
end

local function capture(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function setup(net_name, arch_name)
  local arch, err = archs.get(arch_name)
  if not arch then die(err) end
  if arch.name == "native" then arch = archs.native_for(isa.features(os.getenv("CC") or "cc", arch.cflags) or {}) end
  local file
  for _, f in ipairs({ "networks/" .. net_name .. ".lua", "tests/nets/" .. net_name .. ".lua" }) do
    local h = io.open(f, "r")
    if h then h:close(); file = file or f end
  end
  if not file then die("no network file networks/" .. net_name .. ".lua") end
  local net, errs = dsl.load(file)
  if not net then die(table.concat(errs, "\n")) end
  local inferred
  inferred, errs = shapes.infer(net, arch, nil)
  if not inferred then die(table.concat(errs, "\n")) end
  local convs = {}
  for _, op in ipairs(inferred.ops) do
    if op.kind == "conv" then convs[#convs + 1] = op end
  end
  return arch, inferred, convs
end

--- Builds and times one candidate; returns { layers = {..}, step = ms }.
local function measure(ctx, block, values, label)
  local dir = string.format("build/tune/%s-%s/%d", ctx.net, ctx.arch_name, ctx.count)
  ctx.count = ctx.count + 1
  os.execute("mkdir -p " .. dir)
  local cand = dir .. "/candidate.lua"
  local f = assert(io.open(cand, "w"))
  f:write(plan.render(ctx.arch, ctx.net, block, ctx.convs, values))
  f:close()
  local ok, out = capture(string.format("make --no-print-directory -s variant NET=%s ARCH=%s TUNING=%s VARIANT_DIR=%s",
    ctx.net, ctx.arch_name, cand, dir))
  if not ok then die("building " .. label .. " failed:\n" .. out) end
  ok, out = capture(string.format("%s/tune_model %d %d", dir, ctx.batch, ctx.steps))
  if not ok then die("timing " .. label .. " failed:\n" .. out) end
  local t = { layers = {} }
  for name, a, b, c in out:gmatch("layer (%S+) (%S+) (%S+) (%S+)") do
    t.layers[name] = { tonumber(a), tonumber(b), tonumber(c) }
  end
  t.step = tonumber(out:match("step (%S+)"))
  io.write(string.format("  B=%-3d %-31s %9.1f ms/step\n", block, label, t.step))
  io.flush()
  return t
end

--- Times every candidate of one block, then the chosen combination.
local function tune_block(ctx, block)
  local cands = plan.candidates(ctx.arch, ctx.convs)
  local timings = {}
  for i, c in ipairs(cands) do timings[i] = measure(ctx, block, c.values, c.name) end
  -- The first run of a session tends to be slow: the defaults are timed
  -- again last and keep each figure's better value, so that no bias
  -- favours the other candidates.
  local again = measure(ctx, block, cands[1].values, "defaults, again")
  for name, t in pairs(timings[1].layers) do
    for k = 1, 3 do t[k] = math.min(t[k], again.layers[name][k]) end
  end
  timings[1].step = math.min(timings[1].step, again.step)
  local chosen, why = plan.choose(ctx.convs, cands, timings, ctx.margin)
  local same = true
  for _, op in ipairs(ctx.convs) do
    local v, d = chosen[op.name], cands[1].values[op.name]
    same = same and v.wc == d.wc and v.bwr == d.bwr and plan.knobs_default(v, d)
    for _, algo in pairs(v.passes) do same = same and algo == d.algo end
  end
  if same then return { values = chosen, step = timings[1].step, why = why } end
  local combined = measure(ctx, block, chosen, "chosen per layer")
  local regroup = plan.regroup_candidates(ctx.convs, chosen)
  if #regroup > 0 then
    local timed, before = {}, {}
    for i, c in ipairs(regroup) do timed[i] = measure(ctx, block, c.values, c.name) end
    for _, op in ipairs(ctx.convs) do before[op.name] = chosen[op.name].wg end
    if plan.choose_regrouped(ctx.convs, chosen, combined, regroup, timed, ctx.margin, why) then
      local regrouped = measure(ctx, block, chosen, "chosen per layer, regrouped")
      if regrouped.step < combined.step then
        combined = regrouped
      else   -- the groups do not add up: back to the first round's
        for _, op in ipairs(ctx.convs) do chosen[op.name].wg = before[op.name] end
      end
    end
  end
  if combined.step > timings[1].step * (1 - ctx.margin) then   -- choices that do not add up: the defaults stay
    return { values = cands[1].values, step = timings[1].step, why = why, kept_defaults = true }
  end
  return { values = chosen, step = combined.step, why = why }
end

local function host_line()
  local _, host = capture("hostname -s")
  local _, cpu = capture("sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1")
  local _, when = capture("date -u +%Y-%m-%d")
  return string.format("%s (%s), %s", host:gsub("%s+$", ""), cpu:gsub("%s+$", ""), when:gsub("%s+$", ""))
end

local function write_file(ctx, best, block, steps_by_block)
  local path = os.getenv("TUNE_OUT") or string.format("tuning/%s.lua", ctx.arch.blocking_from or ctx.arch.name)
  local t = { arch = ctx.arch.blocking_from or ctx.arch.name, networks = {}, convs = {} }
  local f = io.open(path, "r")
  if f then
    f:close()
    local old, err = tuning.load(path)
    if not old then die(err) end
    t.networks, t.convs = old.networks or {}, old.convs or {}
  end
  local host = host_line()
  t.networks[ctx.net] = { block = block, why = string.format("make tune on %s, batch %d: ms/step by block %s%s",
    host, ctx.batch, steps_by_block, best.kept_defaults and " (per-layer choices were slower: defaults kept)" or "") }
  for _, op in ipairs(ctx.convs) do
    local v = best.values[op.name]
    local passes = plan.passes_of(v)
    t.convs[tuning.key(op, block)] = { wc = v.wc, bwr = v.bwr, bwc = v.bwc, wg = v.wg, bwd_w_code = v.bwd_w_code,
      forward = passes.forward,
      backward_data = passes.backward_data, backward_weights = passes.backward_weights,
      why = string.format("%s: %s (%s)", op.name, best.why[op.name], host) }
  end
  os.execute("mkdir -p " .. (path:match("^(.*)/[^/]*$") or "."))
  local out = assert(io.open(path, "w"))
  out:write(tuning.render(t, "-- Blocking and algorithms measured fastest by `make tune` (gen/tune.lua) for arch " .. t.arch
    .. ";\n-- the generator uses it instead of its defaults. Reviewed and versioned like code."))
  out:close()
  return path
end

local net_name, arch_name = arg[1], arg[2]
if not (net_name and arch_name) then die("usage: lua5.4 gen/tune.lua NET ARCH") end
local arch, inferred, convs = setup(net_name, arch_name)
local ctx = { net = net_name, arch_name = arch_name, arch = arch, convs = convs, count = 0,
              steps = tonumber(os.getenv("TUNE_STEPS") or "4"), margin = tonumber(os.getenv("TUNE_MARGIN") or "0.03"),
              batch = tonumber(os.getenv("TUNE_BATCH") or (inferred.input.h >= 128 and "16" or "64")) }
io.write(string.format("make tune: %s for %s, batch %d, %d timed steps per candidate\n", net_name, arch_name,
  ctx.batch, ctx.steps))
-- the first block is the default one: another must beat it by the margin
local best, best_block, notes = nil, nil, {}
for _, block in ipairs(plan.blocks(arch, convs)) do
  local r = tune_block(ctx, block)
  notes[#notes + 1] = string.format("%d: %.1f", block, r.step)
  if not best or r.step < best.step * (1 - ctx.margin) then best, best_block = r, block end
end
local path = write_file(ctx, best, best_block, table.concat(notes, ", "))
io.write(string.format("make tune: block %d, %.1f ms/step -> %s\n", best_block, best.step, path))
for _, op in ipairs(convs) do
  local v = best.values[op.name]
  local passes = plan.passes_of(v)
  io.write(string.format("  %-8s width chunk %-3d backward rows %-3d (defaults %d, %d)%s%s%s; %s, %s, %s (default %s)\n",
    op.name, v.wc, v.bwr, op.WC, op.BWR,
    v.bwc and string.format(", rows per backward-weights call %d (default %d)", v.bwc, op.BWC) or "",
    v.wg and string.format(", Winograd groups %d (default %d)", v.wg,
      shapes.default_group(op, shapes.WINOGRAD_TILE[passes.backward_weights])) or "",
    v.bwd_w_code and ", Winograd backward-weights as AVX2 code" or "",
    passes.forward, passes.backward_data, passes.backward_weights, op.passes.forward))
end
