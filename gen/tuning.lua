--- Tuning files: tuning/<arch>.lua holds the blocking `make tune` measured
-- fastest on a host (gen/tune.lua writes it; it is versioned and reviewed
-- like code). The generator uses it instead of its built-in defaults
-- (gen/shapes.lua); what it lacks keeps the default. A file is Lua data:
--
--   return {
--     arch = "skx",
--     networks = { hep224 = { block = 64, why = "..." } },    -- channel block per network
--     convs = {                                                 -- per conv shape, for that block
--       ["B64 128x56x56->128 pool"] = { wc = 28, bwr = 8, why = "...",
--         forward = "winograd4", backward_data = "winograd4", backward_weights = "direct" },
--     },
--   }
--
-- `why` records the measurements that chose the entry (host, times).
--
-- wc: output pixels per forward / backward-data GEMM call (the GEMM's n;
-- divides the width); bwr: rows per backward band (divides the height; even
-- under a 2x2 pool); bwc (optional, for a direct backward-weights pass):
-- rows per backward-weights call (divides bwr); wg (optional, for a Winograd
-- backward-weights pass): tile rows of an image transformed together before
-- their products (at most the layer's tile rows, or a multiple of them: the
-- tiles of that many whole images, at most 224; unused where the network
-- file names the conv's algorithm, as it was measured for the entry's own
-- tile); wfg (optional, for a Winograd forward pass): whole tile rows of an
-- image transformed together, so that one product call per position and
-- block takes all their tiles (divides the layer's tile rows; unused where
-- the network file names the algorithm, as wg); bwd_w_code (optional, for a Winograd backward-weights pass of an
-- AVX-512 arch): "avx2" JITs its products as AVX2 code (on a Zen 4 core the
-- 32x32 blocks' AVX2 kernel was the faster); forward, backward_data,
-- backward_weights: the algorithm of each pass, for a conv whose network
-- file leaves `algorithm` at "auto" (at most one Winograd tile per layer).
-- Conv entries are keyed by shape, not by name, so an added layer of a tuned
-- shape is tuned too.
local M = {}

-- A conv entry's optional algorithm per pass (all three or none):
-- "direct", "winograd2", "winograd4", "winograd6" or "winograd8".
local PASSES = { "forward", "backward_data", "backward_weights" }
M.PASSES = PASSES

function M.key(op, block)
  return string.format("B%d %s%dx%dx%d->%d%s", block, op.first and "first " or "", op.C, op.H, op.W, op.K,
    op.pool and " pool" or "")
end

--- The default file for an arch table (native: the one of the named arch
-- whose blocking it follows).
function M.default_path(gen_dir, arch)
  return string.format("%s/../tuning/%s.lua", gen_dir, arch.blocking_from or arch.name)
end

local function is_pos_int(v)
  return math.type(v) == "integer" and v > 0
end

--- Loads and checks a tuning file's form. Returns the table, or nil and a
-- message naming the file and key.
function M.load(path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then return nil, err end
  local ok, t = pcall(chunk)
  if not ok then return nil, string.format("%s: %s", path, tostring(t)) end
  if type(t) ~= "table" then return nil, path .. ": must return a table" end
  for _, field in ipairs({ "networks", "convs" }) do
    if t[field] ~= nil and type(t[field]) ~= "table" then
      return nil, string.format("%s: '%s' must be a table", path, field)
    end
  end
  for name, n in pairs(t.networks or {}) do
    if type(n) ~= "table" or (n.block ~= nil and not is_pos_int(n.block)) or (n.why ~= nil and type(n.why) ~= "string") then
      return nil, string.format("%s: networks[%q]: expected { block = <positive integer> }", path, tostring(name))
    end
  end
  for key, c in pairs(t.convs or {}) do
    if type(c) ~= "table" or (c.wc ~= nil and not is_pos_int(c.wc)) or (c.bwr ~= nil and not is_pos_int(c.bwr))
        or (c.bwc ~= nil and not is_pos_int(c.bwc)) or (c.wg ~= nil and not is_pos_int(c.wg))
        or (c.wfg ~= nil and not is_pos_int(c.wfg)) or (c.bwd_w_code ~= nil and c.bwd_w_code ~= "avx2")
        or (c.why ~= nil and type(c.why) ~= "string") then
      return nil, string.format("%s: convs[%q]: expected { wc = <positive integer>, bwr = <positive integer>, "
        .. "bwc = <positive integer> (optional), wg = <positive integer> (optional), wfg = <positive integer> (optional), "
        .. "bwd_w_code = \"avx2\" (optional) }",
        path, tostring(key))
    end
    local given = 0
    for _, pass in ipairs(PASSES) do
      if c[pass] ~= nil and type(c[pass]) ~= "string" then
        return nil, string.format("%s: convs[%q].%s: expected an algorithm name (\"direct\", \"winograd2\", "
          .. "\"winograd4\", \"winograd6\", \"winograd8\")", path, tostring(key), pass)
      end
      if c[pass] ~= nil then given = given + 1 end
    end
    if given ~= 0 and given ~= #PASSES then
      return nil, string.format("%s: convs[%q]: give the algorithm of all three passes (%s) or of none", path,
        tostring(key), table.concat(PASSES, ", "))
    end
  end
  t.path = path
  return t
end

local function quoted(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

--- The file's text, sorted (so that a rerun changes only what it measured).
function M.render(t, header)
  local lines = { header, "return {", string.format("  arch = %s,", quoted(t.arch)), "  networks = {" }
  for _, name in ipairs(sorted_keys(t.networks or {})) do
    local n = t.networks[name]
    lines[#lines + 1] = string.format("    [%s] = { block = %d,\n      why = %s },", quoted(name), n.block,
      quoted(n.why or ""))
  end
  lines[#lines + 1] = "  },"
  lines[#lines + 1] = "  convs = {"
  for _, key in ipairs(sorted_keys(t.convs or {})) do
    local c = t.convs[key]
    local algos = ""
    if c[PASSES[1]] then
      local parts = {}
      for _, pass in ipairs(PASSES) do parts[#parts + 1] = string.format("%s = %s", pass, quoted(c[pass])) end
      algos = "\n      " .. table.concat(parts, ", ") .. ","
    end
    lines[#lines + 1] = string.format("    [%s] = { wc = %d, bwr = %d,%s%s%s%s%s\n      why = %s },", quoted(key), c.wc,
      c.bwr, c.bwc and string.format(" bwc = %d,", c.bwc) or "", c.wg and string.format(" wg = %d,", c.wg) or "",
      c.wfg and string.format(" wfg = %d,", c.wfg) or "",
      c.bwd_w_code and string.format(" bwd_w_code = %s,", quoted(c.bwd_w_code)) or "", algos, quoted(c.why or ""))
  end
  lines[#lines + 1] = "  },"
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

return M
