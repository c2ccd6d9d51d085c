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
--     denses = {                                                -- optional: per dense shape (IN->OUT)
--       ["8192->512"] = { bwd_d = "in_place", kc = 4096, why = "..." },
--     },
--     hosts = {                                                 -- optional: per CPU, make tune's
--       ["GenuineIntel family 6 model 167"] = { networks = ..., convs = ... },   -- measurements there
--     },
--   }
--
-- A build uses a host's section where it is built on that CPU (M.host_key:
-- vendor, family and model; HEPCNN_TUNING_HOST names another), each of its
-- entries in place of the arch-wide one: AVX-512 hosts of one arch differ
-- (hep64's conv2 trained fastest by F(8x8) on a Zen 5 core, by F(4x4) on an
-- Intel one with a slower L3).
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
-- block takes all their tiles (divides the layer's tile rows, or is a
-- multiple of them: the tiles of that many whole images, at most 64, which
-- a batch-norm conv takes one image at a time; unused where
-- the network file names the algorithm, as wg; without it the generator's
-- default, gen/shapes.lua's default_row_group); wdg (optional, for a
-- Winograd backward-data pass): the same for backward-data, but two whole
-- images at most (the backward then takes its images in pairs); bwd_w_code (optional, for a Winograd backward-weights pass of an
-- AVX-512 arch): "avx2" JITs its products as AVX2 code (on a Zen 4 core the
-- 32x32 blocks' AVX2 kernel was the faster); forward, backward_data,
-- backward_weights: the algorithm of each pass, for a conv whose network
-- file leaves `algorithm` at "auto" (at most one Winograd tile per layer).
-- Conv entries are keyed by shape, not by name, so an added layer of a tuned
-- shape is tuned too. Dense entries (M.dense_key) hold bwd_d, how the first
-- dense layer's backward-data reads its weight (gen/layers/dense.lua):
-- "packed" (each call's block copied contiguous first, the default) or
-- "in_place"; and kc (optional): the inputs its forward takes per call (the
-- GEMM's k; divides the layer's inputs).
local M = {}

M.DENSE_BWD_D = { packed = true, in_place = true }

-- A conv entry's optional algorithm per pass (all three or none):
-- "direct", "winograd2", "winograd4", "winograd6" or "winograd8".
local PASSES = { "forward", "backward_data", "backward_weights" }
M.PASSES = PASSES

function M.key(op, block)
  return string.format("B%d %s%dx%dx%d->%d%s", block, op.first and "first " or "", op.C, op.H, op.W, op.K,
    op.pool and " pool" or "")
end

function M.dense_key(op)
  return string.format("%d->%d", op.IN, op.OUT)
end

--- The default file for an arch table (native: the one of the named arch
-- whose blocking it follows).
function M.default_path(gen_dir, arch)
  return string.format("%s/../tuning/%s.lua", gen_dir, arch.blocking_from or arch.name)
end

local function host_shown(h)
  return type(h) == "string" and string.format("%q", h) or tostring(h)
end

local function is_pos_int(v)
  return math.type(v) == "integer" and v > 0
end

--- Checks one section's networks, convs and denses (prefix: "" for the file's
-- arch-wide entries, 'hosts["..."].' for a host's); returns a message or nil.
local function check_section(path, t, prefix)
  for _, field in ipairs({ "networks", "convs", "denses" }) do
    if t[field] ~= nil and type(t[field]) ~= "table" then
      return string.format("%s: '%s%s' must be a table", path, prefix, field)
    end
  end
  for name, n in pairs(t.networks or {}) do
    if type(n) ~= "table" or (n.block ~= nil and not is_pos_int(n.block)) or (n.why ~= nil and type(n.why) ~= "string") then
      return string.format("%s: %snetworks[%q]: expected { block = <positive integer> }", path, prefix, tostring(name))
    end
  end
  for key, c in pairs(t.convs or {}) do
    if type(c) ~= "table" or (c.wc ~= nil and not is_pos_int(c.wc)) or (c.bwr ~= nil and not is_pos_int(c.bwr))
        or (c.bwc ~= nil and not is_pos_int(c.bwc)) or (c.wg ~= nil and not is_pos_int(c.wg))
        or (c.wfg ~= nil and not is_pos_int(c.wfg)) or (c.wdg ~= nil and not is_pos_int(c.wdg))
        or (c.bwd_w_code ~= nil and c.bwd_w_code ~= "avx2")
        or (c.why ~= nil and type(c.why) ~= "string") then
      return string.format("%s: %sconvs[%q]: expected { wc = <positive integer>, bwr = <positive integer>, "
        .. "bwc = <positive integer> (optional), wg = <positive integer> (optional), wfg = <positive integer> (optional), "
        .. "wdg = <positive integer> (optional), bwd_w_code = \"avx2\" (optional) }", path, prefix, tostring(key))
    end
    local given = 0
    for _, pass in ipairs(PASSES) do
      if c[pass] ~= nil and type(c[pass]) ~= "string" then
        return string.format("%s: %sconvs[%q].%s: expected an algorithm name (\"direct\", \"winograd2\", "
          .. "\"winograd4\", \"winograd6\", \"winograd8\")", path, prefix, tostring(key), pass)
      end
      if c[pass] ~= nil then given = given + 1 end
    end
    if given ~= 0 and given ~= #PASSES then
      return string.format("%s: %sconvs[%q]: give the algorithm of all three passes (%s) or of none", path, prefix,
        tostring(key), table.concat(PASSES, ", "))
    end
  end
  for key, d in pairs(t.denses or {}) do
    if type(d) ~= "table" or not M.DENSE_BWD_D[d.bwd_d] or (d.why ~= nil and type(d.why) ~= "string")
        or (d.kc ~= nil and not is_pos_int(d.kc)) then
      return string.format("%s: %sdenses[%q]: expected { bwd_d = \"packed\" or \"in_place\" [, kc = a whole number "
        .. "above 0] }", path, prefix, tostring(key))
    end
  end
  return nil
end

--- Loads and checks a tuning file's form. Returns the table, or nil and a
-- message naming the file and key.
function M.load(path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then return nil, err end
  local ok, t = pcall(chunk)
  if not ok then return nil, string.format("%s: %s", path, tostring(t)) end
  if type(t) ~= "table" then return nil, path .. ": must return a table" end
  local bad = check_section(path, t, "")
  if bad then return nil, bad end
  if t.hosts ~= nil and type(t.hosts) ~= "table" then return nil, path .. ": 'hosts' must be a table" end
  for host, section in pairs(t.hosts or {}) do
    if type(host) ~= "string" or type(section) ~= "table" then
      return nil, string.format("%s: hosts[%s]: expected [\"<vendor> family <n> model <n>\"] = { networks = ..., "
        .. "convs = ... }", path, host_shown(host))
    end
    bad = check_section(path, section, string.format("hosts[%q].", host))
    if bad then return nil, bad end
  end
  t.path = path
  return t
end

--- This machine's CPU as a tuning file names its section: vendor, family and
-- model from /proc/cpuinfo (the microarchitecture, which decides the
-- blocking; cloud model names such as "AMD EPYC" cover several), or
-- HEPCNN_TUNING_HOST where set (a build for other nodes than the one it
-- runs on). nil where neither tells.
function M.host_key()
  local given = os.getenv("HEPCNN_TUNING_HOST")
  if given and given ~= "" then return given end
  local f = io.open("/proc/cpuinfo", "r")
  if not f then return nil end
  local info = "\n" .. (f:read("a") or "")   -- every field then starts after a newline
  f:close()
  local vendor = info:match("\nvendor_id%s*:%s*(%S+)")
  local family = info:match("\ncpu family%s*:%s*(%d+)")
  local model = info:match("\nmodel%s*:%s*(%d+)")
  if not (vendor and family and model) then return nil end
  return string.format("%s family %s model %s", vendor, family, model)
end

--- The entries the generator uses on `host`: the file's arch-wide ones,
-- each replaced by the host's section's where it has one (a section holds
-- what make tune measured on that CPU). Entries taken from a section carry
-- src, the file and section, for model.c's header and error messages; the
-- result keeps it too (host_src), with the host's key (host).
function M.for_host(t, host)
  local section = host and t.hosts and t.hosts[host]
  if not section then return t end
  local src = string.format("%s hosts[%q]", t.path, host)
  for _, field in ipairs({ "networks", "convs", "denses" }) do
    local merged = {}
    for k, v in pairs(t[field] or {}) do merged[k] = v end
    for k, v in pairs(section[field] or {}) do
      local e = {}
      for kk, vv in pairs(v) do e[kk] = vv end
      e.src = src
      merged[k] = e
    end
    t[field] = merged
  end
  t.host, t.host_src = host, src
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

--- Records make tune's choices for a network (its block entry, and conv
-- and dense entries by key; dense_entries may be nil) in t: in the section
-- of `host` (M.host_key), and in the arch-wide entries where they have none
-- yet for the network or shape (the first host measured is every other
-- host's fallback; a later host's figures leave the first host's builds
-- alone); arch-wide only where the host is unknown. Dense entries go to the
-- host's section only: reading the weight in place depends on how a CPU's
-- caches take its 32 KiB stride, the forward's inputs per call on its L2,
-- so another host keeps the defaults until measured. section_only (an arch
-- whose own hosts are named, gen/arch.lua's tuned_on, tuned on another
-- CPU): the host's section alone.
-- Returns whether any arch-wide entry was written.
function M.record(t, host, network, block_entry, conv_entries, dense_entries, section_only)
  local function put(sec, only_new)
    sec.networks, sec.convs = sec.networks or {}, sec.convs or {}
    local wrote = false
    if not (only_new and sec.networks[network]) then sec.networks[network], wrote = block_entry, true end
    for key, e in pairs(conv_entries) do
      if not (only_new and sec.convs[key]) then sec.convs[key], wrote = e, true end
    end
    if not only_new then
      for key, e in pairs(dense_entries or {}) do
        sec.denses = sec.denses or {}
        sec.denses[key], wrote = e, true
      end
    end
    return wrote
  end
  if not host then return put(t, false) end
  t.hosts = t.hosts or {}
  t.hosts[host] = t.hosts[host] or {}
  put(t.hosts[host], false)
  return not section_only and put(t, true)
end

--- One section's networks, convs and denses as lines, indented by `pad`.
local function render_section(lines, t, pad)
  lines[#lines + 1] = pad .. "networks = {"
  for _, name in ipairs(sorted_keys(t.networks or {})) do
    local n = t.networks[name]
    lines[#lines + 1] = string.format("%s  [%s] = { block = %d,\n%s    why = %s },", pad, quoted(name), n.block, pad,
      quoted(n.why or ""))
  end
  lines[#lines + 1] = pad .. "},"
  lines[#lines + 1] = pad .. "convs = {"
  for _, key in ipairs(sorted_keys(t.convs or {})) do
    local c = t.convs[key]
    local algos = ""
    if c[PASSES[1]] then
      local parts = {}
      for _, pass in ipairs(PASSES) do parts[#parts + 1] = string.format("%s = %s", pass, quoted(c[pass])) end
      algos = "\n" .. pad .. "    " .. table.concat(parts, ", ") .. ","
    end
    lines[#lines + 1] = string.format("%s  [%s] = { wc = %d, bwr = %d,%s%s%s%s%s%s\n%s    why = %s },", pad, quoted(key),
      c.wc, c.bwr, c.bwc and string.format(" bwc = %d,", c.bwc) or "", c.wg and string.format(" wg = %d,", c.wg) or "",
      c.wfg and string.format(" wfg = %d,", c.wfg) or "", c.wdg and string.format(" wdg = %d,", c.wdg) or "",
      c.bwd_w_code and string.format(" bwd_w_code = %s,", quoted(c.bwd_w_code)) or "", algos, pad, quoted(c.why or ""))
  end
  lines[#lines + 1] = pad .. "},"
  if t.denses and next(t.denses) then
    lines[#lines + 1] = pad .. "denses = {"
    for _, key in ipairs(sorted_keys(t.denses)) do
      local d = t.denses[key]
      lines[#lines + 1] = string.format("%s  [%s] = { bwd_d = %s,%s\n%s    why = %s },", pad, quoted(key), quoted(d.bwd_d),
        d.kc and string.format(" kc = %d,", d.kc) or "", pad, quoted(d.why or ""))
    end
    lines[#lines + 1] = pad .. "},"
  end
end

--- The file's text, sorted (so that a rerun changes only what it measured):
-- the arch-wide entries, then each host's section.
function M.render(t, header)
  local lines = { header, "return {", string.format("  arch = %s,", quoted(t.arch)) }
  render_section(lines, t, "  ")
  if t.hosts and next(t.hosts) then
    lines[#lines + 1] = "  hosts = {"
    for _, host in ipairs(sorted_keys(t.hosts)) do
      lines[#lines + 1] = string.format("    [%s] = {", quoted(host))
      render_section(lines, t.hosts[host], "      ")
      lines[#lines + 1] = "    },"
    end
    lines[#lines + 1] = "  },"
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

return M
