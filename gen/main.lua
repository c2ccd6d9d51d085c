--- hepcnn generator: networks/<net>.lua -> build/<net>-<arch>/model.c, model.h
-- Usage: lua5.4 gen/main.lua NETWORK_FILE ARCH OUTDIR [--tuning=FILE]
--        lua5.4 gen/main.lua --cflags ARCH   (the arch's compiler flags, for the Makefile)
-- The blocking comes from tuning/<arch>.lua when it exists (gen/tuning.lua;
-- `make tune` writes it), otherwise from built-in defaults; --tuning=FILE
-- uses another file (the tuner's candidates).
-- The compiler whose view of the flags decides the CPU extensions a build
-- needs is $CC (default cc).
-- Stages: dsl (parse) -> shapes (validate, infer) -> plan (params, memory,
-- kernels) -> emit (templates). On any error nothing is written; output
-- files are written to a temporary name and renamed.
local script_dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = script_dir .. "/?.lua;" .. package.path

local dsl = require("dsl")
local shapes = require("shapes")
local plan = require("plan")
local emit = require("emit")
local archs = require("arch")
local isa = require("isa")
local tuning = require("tuning")

local VERSION = "0.1.0"
local ABI = 6

local function die(lines)
  for _, l in ipairs(lines) do io.stderr:write(l, "\n") end
  os.exit(1)
end

local cc = os.getenv("CC") or "cc"
if arg[1] == "--cflags" then
  local a, err = archs.get(arg[2])
  if not a then die({ "gen: " .. err }) end
  if a.name == "native" then   -- native's flags depend on the ISA the compiler sees here
    local list = isa.features(cc, a.cflags)
    if list then a = archs.native_for(list) end   -- no compiler yet (before make deps): the plain flags
  end
  print(a.cflags)
  os.exit(0)
end

local file, arch_name, outdir = arg[1], arg[2], arg[3]
if not (file and arch_name and outdir) then
  die({ "usage: lua5.4 gen/main.lua NETWORK_FILE ARCH OUTDIR [--tuning=FILE]" })
end
local arch, aerr = archs.get(arch_name)
if not arch then die({ "gen: " .. aerr }) end

-- The CPU extensions this build may use, and those of the named archs'
-- builds (for the start-up check's advice).
local function features(a)
  local list, unknown = isa.features(cc, a.cflags)
  if not list then die({ "gen: " .. unknown }) end
  if #unknown > 0 then
    die({ string.format("gen: %s %s enables %s, which the start-up check cannot test: add it to gen/isa.lua "
      .. "and runtime/isa_guard.c", cc, a.cflags, table.concat(unknown, " ")) })
  end
  return table.concat(list, " ")
end
local features_list = {}
if arch.name == "native" then   -- the blocking of the ISA this machine has
  for f in features(arch):gmatch("%S+") do features_list[#features_list + 1] = f end
  arch = archs.native_for(features_list)
end

local tuning_path = arg[4] and arg[4]:match("^%-%-tuning=(.+)$")
if arg[4] and not tuning_path then die({ "gen: unknown option " .. arg[4] .. " (expected --tuning=FILE)" }) end
if not tuning_path then
  tuning_path = tuning.default_path(script_dir, arch)
  local f = io.open(tuning_path, "r")
  if f then f:close() else tuning_path = nil end
end
local tuned
if tuning_path then
  local terr
  tuned, terr = tuning.load(tuning_path)
  if not tuned then die({ "gen: " .. terr }) end
  tuned.path = tuning_path:gsub("^" .. script_dir:gsub("%p", "%%%0") .. "/%.%./", "")
  tuned = tuning.for_host(tuned, tuning.host_key())
end

-- A path goes into model.c's comments as it is and into its strings as a
-- C literal: "*/" would end the comment, a control character break the line.
local function check_path(what, path)
  if path:find("*/", 1, true) or path:find("%c") then
    die({ string.format("gen: %s path %q holds \"*/\" or a control character, which cannot go into the "
      .. "generated C's comments: rename or move the file", what, path) })
  end
end
check_path("the network file's", file)
if tuned then check_path("the tuning file's", tuned.path) end

local net, errs = dsl.load(file)
if not net then die(errs) end
local inferred
inferred, errs = shapes.infer(net, arch, tuned)
if not inferred then die(errs) end
for _, note in ipairs(inferred.notes) do io.stderr:write("gen: note: ", note, "\n") end
plan.plan(inferred, arch)

local alternatives = {}
for _, name in ipairs(archs.named) do
  if name ~= arch.name then alternatives[#alternatives + 1] = name .. ":" .. features(archs[name]) end
end

-- s as a C string literal (HEPCNN_TUNING_HOST and the tuning file's path
-- are the user's: a quote or backslash is escaped, any other byte outside
-- printable ASCII written in octal)
local function c_literal(s)
  return '"' .. s:gsub(".", function(c)
    if c == '"' or c == "\\" then return "\\" .. c end
    if c:byte() < 32 or c:byte() > 126 then return string.format("\\%03o", c:byte()) end
  end) .. '"'
end

-- Whether any choice of the planned network (the block, a layer's *_src)
-- came from the tuning file's section `section`, as model.c's header names it.
local function uses_section(planned, section)
  if planned.block_src == section then return true end
  for _, op in ipairs(planned.ops) do
    for k, v in pairs(op) do
      if type(k) == "string" and k:match("_src$") and v == section then return true end
    end
  end
  return false
end

-- The CPU whose section of the tuning file this build took choices from,
-- for the binary's note when it runs on another (runtime/cpu_host.c)
local section = tuned and tuned.host_src
if section and not uses_section(inferred, section) then section = nil end

local gen = {
  version = VERSION, abi = ABI,
  network_file = c_literal(file),   -- C literals
  tuning_host = section and c_literal(tuned.host) or "NULL",
  tuning_section = section and c_literal(section) or "NULL",
  isa_features = features(arch), isa_alternatives = table.concat(alternatives, ";"),
  templates = script_dir .. "/../templates",
  compile_line = string.format("mpicc -std=c11 -O3 -fopenmp -fno-trapping-math -fno-math-errno -ffp-contract=fast %s "
    .. "-Iruntime -c model.c", arch.cflags),
}
local ok, model_c, model_h = pcall(emit.emit, inferred, arch, gen)
if not ok then die({ "gen: " .. tostring(model_c) }) end

local function write_atomic(path, text)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then die({ "gen: cannot write " .. tmp .. ": " .. tostring(err) }) end
  local wok, werr = f:write(text)
  if not wok then f:close(); os.remove(tmp); die({ "gen: cannot write " .. tmp .. ": " .. tostring(werr) }) end
  f:close()
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp); die({ "gen: cannot rename " .. tmp .. ": " .. tostring(rerr) }) end
end
write_atomic(outdir .. "/model.h", model_h)
write_atomic(outdir .. "/model.c", model_c)
