--- make tune NET=.. ARCH=..: times candidate blockings of every conv layer
-- of a network on this machine, and how its first dense layer's
-- backward-data reads the weight (gen/tune_plan.lua says which and how it
-- chooses), and writes the fastest into the arch's tuning file
-- (gen/tuning.lua; native: the file of the arch whose blocking it follows),
-- in the section of this host's CPU (and the arch-wide entries where they
-- have none yet), keeping the entries of other networks, shapes and hosts;
-- a section that already names the network stays unless the run's choice
-- beats it (section_stays).
--
-- Usage (through make): CC=mpicc lua5.4 gen/tune.lua NET ARCH
-- Every candidate of a block is built first, then timed in TUNE_ROUNDS
-- rounds (default 3), the candidates in turn within each round, and each
-- figure is the least of its rounds: a noisy minute of a shared machine
-- then costs a candidate one round, and figures compared with each other
-- come from the same minutes (each combination is raced against the
-- defaults, each block's choice against the others'). A race whose
-- least steps lie within the noise of its rounds gets more rounds of the
-- builds it compares, up to twice TUNE_ROUNDS. A candidate that after the
-- first round is far behind the defaults in every pass it could win
-- (plan.hopeless) is timed no more.
--
-- Environment: TUNE_STEPS (timed steps per candidate and round, default 3),
-- TUNE_ROUNDS (default 3), TUNE_MARGIN (what a non-default choice must gain, default 0.03),
-- TUNE_BATCH (default 16 for inputs of 128 pixels or more, else 64),
-- TUNE_OUT (the file to write, default tuning/<arch>.lua), TUNE_JOBS
-- (candidate builds at a time, default the online CPUs).
local script_dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path
local dsl = require("dsl")
local shapes = require("shapes")
local archs = require("arch")
local isa = require("isa")
local tuning = require("tuning")
local plan = require("tune_plan")
local dense = require("layers.dense")
local readfile = require("pl.utils").readfile

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

--- The network's arch, shapes, convs and first dense layer.
local function setup(net_name, arch_name)
  local arch, err = archs.get(arch_name)
  if not arch then die(err) end
  if arch.name == "native" then arch = archs.native_for(isa.features(os.getenv("CC") or "cc", arch.cflags) or {}) end
  local file = shapes.network_file(net_name)
  if not file then die("no network file networks/" .. net_name .. ".lua") end
  local net, errs = dsl.load(file)
  if not net then die(table.concat(errs, "\n")) end
  local inferred
  inferred, errs = shapes.infer(net, arch, nil)
  if not inferred then die(table.concat(errs, "\n")) end
  local convs, first_dense = {}, nil
  for _, op in ipairs(inferred.ops) do
    if op.kind == "conv" then convs[#convs + 1] = op end
    if op.first_dense then first_dense = op end
  end
  return arch, inferred, convs, first_dense
end

--- Builds candidates ({ name, values } each, or { name, text, block }: a
-- whole tuning file's text), each with its own tuning file
-- in its own folder, up to ctx.jobs at a time (make tune-candidate, its
-- output and exit status left in the folder). Every build of a race is
-- done before its timing starts, so no build shares the cores with a
-- timing. Returns { dir, label, block } per candidate, in order.
local function build_all(ctx, block, cands)
  local builds, dirs = {}, {}
  for i, c in ipairs(cands) do
    local dir = string.format("build/tune/%s-%s/%d", ctx.net, ctx.arch_name, ctx.count)
    ctx.count = ctx.count + 1
    os.execute("mkdir -p " .. dir)
    os.remove(dir .. "/build.rc")
    local f = assert(io.open(dir .. "/candidate.lua", "w"))
    f:write(c.text or plan.render(ctx.arch, ctx.net, block, ctx.convs, c.values, c.denses))
    f:close()
    builds[i] = { dir = dir, label = c.name, block = c.block or block }
    dirs[i] = dir
  end
  local make = string.format("make --no-print-directory -s tune-candidate NET=%s ARCH=%s", ctx.net, ctx.arch_name)
  os.execute(string.format("printf '%%s\\n' %s | xargs -P %d -n 1 sh -c "
    .. "'%s TUNING=\"$1/candidate.lua\" VARIANT_DIR=\"$1\" > \"$1/build.log\" 2>&1; echo $? > \"$1/build.rc\"' sh",
    table.concat(dirs, " "), ctx.jobs, make))
  for _, b in ipairs(builds) do
    if (readfile(b.dir .. "/build.rc") or ""):match("^%d+") ~= "0" then
      die("building " .. b.label .. " failed:\n" .. (readfile(b.dir .. "/build.log") or ""))
    end
  end
  return builds
end

local function build(ctx, block, values, label)
  return build_all(ctx, block, { { name = label, values = values } })[1]
end

--- Times one build once: { layers = { [name] = { fwd, bwd_d, bwd_w } }, step }.
local function time_once(ctx, b)
  local ok, out = capture(string.format("%s/tune_model %d %d", b.dir, ctx.batch, ctx.steps))
  if not ok then die("timing " .. b.label .. " failed:\n" .. out) end
  local t = { layers = {} }
  for name, x, y, z in out:gmatch("layer (%S+) (%S+) (%S+) (%S+)") do
    t.layers[name] = { tonumber(x), tonumber(y), tonumber(z) }
  end
  t.step = tonumber(out:match("step (%S+)"))
  if not t.step then die("timing " .. b.label .. ": no step time in tune_model's output:\n" .. out) end
  return t
end

--- After the first round of a block's candidates, the indices of those
-- to time again: all but the hopeless ones (plan.hopeless), which it names.
local function drop_hopeless(ctx, builds, cands, rounds)
  local first = {}
  for i = 1, #builds do first[i] = rounds[i][1] end
  local drop, labels, timed = {}, {}, {}
  for _, i in ipairs(plan.hopeless(ctx.convs, cands, first)) do drop[i], labels[#labels + 1] = true, builds[i].label end
  for i = 1, #builds do
    if not drop[i] then timed[#timed + 1] = i end
  end
  if #labels > 0 then
    io.write(string.format("  timed no more after round 1 (every pass they could win %gx the defaults' or slower): %s\n",
      plan.HOPELESS, table.concat(labels, "; ")))
    io.flush()
  end
  return timed
end

--- Times builds against each other: ctx.rounds rounds, each timing every
-- build in turn (plan.round_order), each figure the least of its rounds
-- (plan.least). Builds compared by one race ran in the same minutes.
-- `cands` (optional: the block's candidates, one per build) lets the
-- first round drop the hopeless ones (drop_hopeless), and each round of
-- that race, the longest (minutes), says it is done.
-- `contests` (optional: { challenger, incumbent }, indices into builds)
-- are the choices the race settles: while one is undecided
-- (plan.undecided), the contests' builds get another round
-- (plan.extra_round), up to twice ctx.rounds.
local function race(ctx, builds, contests, cands)
  local rounds, timed = {}, {}
  for i = 1, #builds do rounds[i], timed[i] = {}, i end
  for r = 1, ctx.rounds do
    local started = os.time()
    for _, k in ipairs(plan.round_order(#timed, r)) do rounds[timed[k]][r] = time_once(ctx, builds[timed[k]]) end
    if cands then
      io.write(string.format("  B=%-3d round %d of %d timed: %d candidates in %d s\n", builds[1].block, r, ctx.rounds,
        #timed, os.time() - started))
      io.flush()
    end
    if r == 1 and cands and ctx.rounds > 1 then timed = drop_hopeless(ctx, builds, cands, rounds) end
  end
  local r = ctx.rounds
  local more = contests and plan.extra_round(rounds, contests, 2 * ctx.rounds)
  while more do
    r = r + 1
    local labels = {}
    for k, i in ipairs(more) do labels[k] = builds[i].label end
    io.write(string.format("  undecided: round %d of %s\n", r, table.concat(labels, "; ")))
    io.flush()
    for _, k in ipairs(plan.round_order(#more, r)) do rounds[more[k]][r] = time_once(ctx, builds[more[k]]) end
    more = plan.extra_round(rounds, contests, 2 * ctx.rounds)
  end
  local timings, width = {}, 38   -- the figures in one column, past the longest name (a shared build's)
  for _, b in ipairs(builds) do width = math.max(width, #b.label) end
  for i, b in ipairs(builds) do
    timings[i] = plan.least(rounds[i])
    io.write(plan.race_line(b.block, b.label, width, timings[i]))
  end
  io.flush()
  return timings
end

local function is_default(ctx, chosen, defaults)
  for _, op in ipairs(ctx.convs) do
    local v, d = chosen[op.name], defaults[op.name]
    if not (v.wc == d.wc and v.bwr == d.bwr and plan.knobs_default(v, d)) then return false end
    for _, algo in pairs(v.passes) do
      if algo ~= d.algo then return false end
    end
  end
  return true
end

--- The second round of a block whose per-layer choices differ from the
-- defaults: the combination, and the groups of a conv whose
-- passes took another Winograd tile (plan.regroup_candidates),
-- raced against the defaults. Returns the combination's build and timing
-- and the defaults' timing of the same rounds.
local function combine(ctx, block, defaults, chosen, why)
  local regroup = plan.regroup_candidates(ctx.convs, chosen)
  local built = build_all(ctx, block, { { name = "chosen per layer", values = chosen }, table.unpack(regroup) })
  local combined = built[1]
  local builds = { defaults, table.unpack(built) }
  local t = race(ctx, builds, { { 2, 1 } })
  if #regroup == 0 then return combined, t[2], t[1] end
  local ungroup = plan.choose_regrouped(ctx.convs, chosen, t[2], regroup, { table.unpack(t, 3) }, ctx.margin, why)
  if not ungroup then return combined, t[2], t[1] end
  local regrouped = build(ctx, block, chosen, "chosen per layer, regrouped")
  local t3 = race(ctx, { defaults, combined, regrouped }, { { 3, 2 }, { 2, 1 }, { 3, 1 } })
  if plan.beats(t3[3], t3[2], 0) then return regrouped, t3[3], t3[1] end
  -- the groups do not add up: back to the first round's
  ungroup()
  return combined, t3[2], t3[1]
end

--- Races every candidate of one block, then the chosen combination against
-- the defaults. Returns { values, build, timing, why [, kept_defaults,
-- chosen_step] }, `timing` the build's (time_once's figures, plan.least;
-- its step the ms/step).
local function tune_block(ctx, block)
  local single = plan.candidates(ctx.arch, ctx.convs)
  local cands = plan.pack(ctx.convs, single)
  io.write(string.format("  B=%-3d building %d candidates: the defaults and %d knob values and algorithms, those that"
    .. " change different passes sharing a build\n", block, #cands, #single - 1))
  io.flush()
  local builds = build_all(ctx, block, cands)
  local timings = race(ctx, builds, nil, cands)
  local chosen, why = plan.choose(ctx.convs, cands, timings, ctx.margin)
  if is_default(ctx, chosen, cands[1].values) then
    return { values = cands[1].values, build = builds[1], timing = timings[1], why = why }
  end
  local combined, t, t_defaults = combine(ctx, block, builds[1], chosen, why)
  if not plan.beats(t, t_defaults, ctx.margin) then   -- choices that do not add up: the defaults stay
    return { values = cands[1].values, build = builds[1], timing = t_defaults, why = why,
             kept_defaults = true, chosen_step = t.step }
  end
  return { values = chosen, build = combined, timing = t, why = why }
end

--- The first dense layer (gen/layers/dense.lua): the best build, which
-- packs the weight in backward-data and takes the default forward inputs
-- per call, raced against the same values reading the weight in place, and
-- against each forward kc of plan.dense_kcs (one race: the two knobs are
-- different passes, each timed on its own); not raced where those passes
-- are a negligible share of the best build's step (plan.dense_negligible):
-- the defaults then stay. Returns the dense entries, their `why` still
-- without the host.
local function tune_dense(ctx, best, block)
  local op = ctx.first_dense
  local key = tuning.dense_key(op)
  local negligible, share_words = plan.dense_negligible(op.name, best.timing, ctx.dense_share)
  if negligible then
    io.write(string.format("  the first dense layer, %s: %s\n", op.name, share_words))
    return { [key] = { bwd_d = "packed", why = string.format("%s: %s", op.name, share_words) } }
  end
  local default_kc = dense.default_kc(op.IN)
  local kcs = plan.dense_kcs(op.IN, default_kc)
  local cands = { { name = op.name .. " backward-data in place", values = best.values,
                    denses = { [key] = { bwd_d = "in_place" } } } }
  for _, kc in ipairs(kcs) do
    cands[#cands + 1] = { name = string.format("%s forward by %d inputs", op.name, kc), values = best.values,
                          denses = { [key] = { bwd_d = "packed", kc = kc } } }
  end
  local builds, contests = { best.build }, {}
  for i, b in ipairs(build_all(ctx, block, cands)) do builds[i + 1], contests[i] = b, { i + 1, 1 } end
  io.write(string.format("  the first dense layer's backward-data, packed against in place%s:\n",
    #kcs > 0 and ", and its forward's inputs per call" or ""))
  local t = race(ctx, builds, contests)
  local choice, words = plan.choose_dense(op.name, t[1], t[2], ctx.margin)
  local kc, kc_words = plan.choose_dense_kc(op.name, default_kc, t[1], kcs, { table.unpack(t, 3) }, ctx.margin)
  if #kcs > 0 then words = words .. "; " .. kc_words end
  return { [key] = { bwd_d = choice, kc = kc, why = string.format("%s: %s", op.name, words) } }
end

--- Where the file already has a section for this host that names the
-- network (an earlier make tune's, or entries set by hand and reviewed),
-- this run's choice replaces it only by beating the file as it stands
-- (plan.beats, the margin) in a race of the two, so that a section set by
-- hand and checked is not lost to one noisy run. Returns the message that
-- says the file stays, or nil (no such section, or beaten).
local function section_stays(ctx, best, block, dense_entries)
  local section = ctx.host_key and ctx.out.hosts[ctx.host_key]
  local entry = section and section.networks and section.networks[ctx.net]
  if not entry then return nil end
  local denses = {}
  for key, e in pairs(dense_entries) do denses[key] = { bwd_d = e.bwd_d, kc = e.kc } end
  local builds = build_all(ctx, block, {
    { name = "the file's section as it stands", text = ctx.out_text, block = entry.block },
    { name = "this run's choice", values = best.values, denses = denses } })
  io.write(string.format("  this run's choice, raced against %s's section hosts[%q]:\n", ctx.out_path, ctx.host_key))
  local t = race(ctx, builds, { { 2, 1 } })
  if plan.beats(t[2], t[1], ctx.margin) then return nil end
  return string.format("make tune: %s unchanged: its section hosts[%q] ran %s at %.1f ms/step, this run's "
    .. "choice at %.1f, not faster by the %g%% margin (TUNE_MARGIN) in most rounds\n", ctx.out_path, ctx.host_key,
    ctx.net, t[1].step, t[2].step, ctx.margin * 100)
end

local function host_line()
  local _, host = capture("hostname -s")
  local _, cpu = capture("sh bench/cpu_line.sh")
  local _, when = capture("date -u +%Y-%m-%d")
  return string.format("%s (%s), %s", host:gsub("%s+$", ""), cpu:gsub("%s+$", ""), when:gsub("%s+$", ""))
end

--- The tuning file to write, its entries so far (kept for other
-- networks and shapes) and its text (nil when there is no file yet; the
-- section's race builds it as it stands): read before any timing, so that
-- a file that does not load stops make tune at once, not after minutes of it.
local function read_file(arch)
  local path = os.getenv("TUNE_OUT") or string.format("tuning/%s.lua", arch.blocking_from or arch.name)
  local t = { arch = arch.blocking_from or arch.name, networks = {}, convs = {}, hosts = {} }
  local text = readfile(path)
  if text then
    local old, err = tuning.load(path)
    if not old then die(err .. " (the file make tune would add to: fix it, or name another with TUNE_OUT)") end
    t.networks, t.convs, t.denses, t.hosts = old.networks or {}, old.convs or {}, old.denses, old.hosts or {}
  end
  return path, t, text
end

local function write_file(ctx, best, block, steps_by_block, dense_entries)
  local path, t = ctx.out_path, ctx.out
  local host = host_line()
  local block_entry = { block = block, why = string.format("make tune on %s, batch %d: ms/step by block %s%s",
    host, ctx.batch, steps_by_block,
    best.kept_defaults and plan.kept_defaults_note(best.chosen_step, best.timing.step, ctx.margin) or "") }
  local entries = {}
  for _, op in ipairs(ctx.convs) do
    local v = best.values[op.name]
    local passes = plan.passes_of(v)
    entries[tuning.key(op, block)] = { wc = v.wc, bwr = v.bwr, bwc = v.bwc, wg = v.wg, wfg = v.wfg, wdg = v.wdg,
      bwd_w_code = v.bwd_w_code,
      forward = passes.forward,
      backward_data = passes.backward_data, backward_weights = passes.backward_weights,
      why = string.format("%s: %s (%s)", op.name, best.why[op.name], host) }
  end
  local host_key = ctx.host_key
  for _, e in pairs(dense_entries) do e.why = string.format("%s (%s)", e.why, host) end
  local section_only = ctx.arch.tuned_on and not ctx.arch.tuned_on.hosts[host_key]
  local arch_wide = tuning.record(t, host_key, ctx.net, block_entry, entries, dense_entries, section_only)
  ctx.section = (host_key and string.format("hosts[%q]", host_key) or "")
    .. (arch_wide and (host_key and " and the arch-wide entries" or "the arch-wide entries") or "")
    .. (section_only and string.format(" (its arch-wide entries come from make tune on a %s only)",
      ctx.arch.tuned_on.what) or "")
  os.execute("mkdir -p " .. (path:match("^(.*)/[^/]*$") or "."))
  local out = assert(io.open(path, "w"))
  out:write(tuning.render(t, "-- Blocking and algorithms measured fastest by `make tune` (gen/tune.lua) for arch " .. t.arch
    .. ";\n-- the generator uses it instead of its defaults. Reviewed and versioned like code."
    .. (ctx.arch.tuned_on and "\n-- Its arch-wide entries, what a build on another CPU (a cluster's login node) reads,"
      .. "\n-- come from make tune on a " .. ctx.arch.tuned_on.what .. " only; other hosts'"
      .. "\n-- timings of this code go to their own sections." or "")))
  out:close()
  return path
end

local net_name, arch_name = arg[1], arg[2]
if not (net_name and arch_name) then die("usage: lua5.4 gen/tune.lua NET ARCH") end
local arch, inferred, convs, first_dense = setup(net_name, arch_name)
--- A number from the environment (a whole one where `integer`), at least
-- `min`; `default` when unset.
local function env_number(name, default, min, integer)
  local text = os.getenv(name)
  if not text or text == "" then return default end
  local v = tonumber(text)
  if not v or v < min or (integer and v ~= math.floor(v)) then
    die(string.format("%s=%s: expected %s of at least %s", name, text, integer and "a whole number" or "a number", min))
  end
  return v
end

local function online_cpus()
  local _, out = capture("getconf _NPROCESSORS_ONLN")
  return math.tointeger(tonumber(out:match("%d+") or "1")) or 1
end

local ctx = { net = net_name, arch_name = arch_name, arch = arch, convs = convs, first_dense = first_dense, count = 0,
              steps = env_number("TUNE_STEPS", 3, 1, true), rounds = env_number("TUNE_ROUNDS", 3, 1, true),
              margin = env_number("TUNE_MARGIN", 0.03, 0, false),
              dense_share = env_number("TUNE_DENSE_SHARE", 0.01, 0, false),
              batch = env_number("TUNE_BATCH", inferred.input.h >= 128 and 16 or 64, 1, true),
              jobs = env_number("TUNE_JOBS", online_cpus(), 1, true) }
ctx.host_key = tuning.host_key()
if arch.tuned_on and not ctx.host_key then
  die(string.format("cannot tell this host's CPU from /proc/cpuinfo, and %s's arch-wide entries come from make tune "
    .. "on a %s only: name the CPU in HEPCNN_TUNING_HOST (\"GenuineIntel family 6 model 87\")", arch.name,
    arch.tuned_on.what))
end
ctx.out_path, ctx.out, ctx.out_text = read_file(arch)
io.write(string.format("make tune: %s for %s, batch %d, %d timed steps per candidate in each of %d rounds\n",
  net_name, arch_name, ctx.batch, ctx.steps, ctx.rounds))
-- the first block is the default one: another must beat it (plan.beats)
-- in a last race of each block's choice against the others
local results = {}
for i, block in ipairs(plan.blocks(arch, convs)) do results[i] = tune_block(ctx, block) end
if #results > 1 then
  local builds = {}
  for i, r in ipairs(results) do builds[i] = r.build end
  io.write("  each block's choice, raced against the others:\n")
  local contests = {}
  for i = 2, #builds do
    for j = 1, i - 1 do contests[#contests + 1] = { i, j } end
  end
  local t = race(ctx, builds, contests)
  for i, r in ipairs(results) do r.timing = t[i] end
end
local best, best_block, notes = nil, nil, {}
for _, r in ipairs(results) do
  notes[#notes + 1] = string.format("%d: %.1f", r.build.block, r.timing.step)
  if not best or plan.beats(r.timing, best.timing, ctx.margin) then best, best_block = r, r.build.block end
end
local dense_entries = tune_dense(ctx, best, best_block)
local stays = section_stays(ctx, best, best_block, dense_entries)
if stays then
  io.write(stays)
  os.exit(0)
end
local path = write_file(ctx, best, best_block, table.concat(notes, ", "), dense_entries)
io.write(string.format("make tune: block %d, %.1f ms/step -> %s, %s\n", best_block, best.timing.step, path, ctx.section))
for _, e in pairs(dense_entries) do
  local default_kc = dense.default_kc(first_dense.IN)
  io.write(string.format("  %-8s forward inputs per call %d (default %d), backward-data reads its weight %s "
    .. "(default packed)\n", first_dense.name, e.kc or default_kc, default_kc, e.bwd_d == "in_place" and "in place" or "packed"))
end
-- A chosen Winograd forward or backward-data group (the tuning file's wfg,
-- wdg), in words: tile rows, or whole images where it is a multiple of an
-- image's (gen/shapes.lua's choose_row_groups); "" where none was chosen.
local function row_group_words(op, pass, rows, algorithm)
  if not rows then return "" end
  local T = shapes.WINOGRAD_TILE[algorithm]
  local TH = shapes.tiles_along(op.H, T)
  local size = rows > TH and string.format("%d whole images", rows // TH) or string.format("%d tile rows", rows)
  return string.format(", Winograd %s groups of %s (default %d tile rows)", pass, size, shapes.default_row_group(op, T))
end

for _, op in ipairs(convs) do
  local v = best.values[op.name]
  local passes = plan.passes_of(v)
  io.write(string.format("  %-8s width chunk %-3d backward rows %-3d (defaults %d, %d)%s%s%s%s%s; %s, %s, %s (default %s)\n",
    op.name, v.wc, v.bwr, op.WC, op.BWR,
    v.bwc and string.format(", rows per backward-weights call %d (default %d)", v.bwc, op.BWC) or "",
    v.wg and string.format(", Winograd groups %d (default %d)", v.wg,
      shapes.default_group(op, shapes.WINOGRAD_TILE[passes.backward_weights])) or "",
    v.bwd_w_code and ", Winograd backward-weights as AVX2 code" or "",
    row_group_words(op, "forward", v.wfg, passes.forward),
    row_group_words(op, "backward-data", v.wdg, passes.backward_data),
    passes.forward, passes.backward_data, passes.backward_weights, op.passes.forward))
end
