--- The network description language: load a networks/*.lua file in a
-- sandbox whose globals are the layer constructors, and return the flat list
-- of layers, each remembering the source line that created it.
-- Does not check shapes or layer order (shapes.lua does).
local M = {}

local LIMIT_SECONDS, LIMIT_KIB = 5, 256 * 1024

-- Keys each layer kind accepts; `true` marks a required key.
M.kinds = {
  input        = { name = false, channels = true, height = true, width = true },
  conv         = { name = false, filters = true, size = false, stride = false, padding = false, algorithm = false },
  batchnorm    = { name = false, momentum = false, eps = false },
  relu         = { name = false },
  maxpool      = { name = false, size = false, stride = false },
  avgpool      = { name = false, global = false },
  dropout      = { name = false },
  flatten      = { name = false },
  dense        = { name = false, units = true },
  softmax_xent = { name = false },
}

-- A value from a network file as an error message shows it.
local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if v == nil or type(v) == "number" or type(v) == "boolean" then return tostring(v) end
  return "a " .. type(v)
end

M.show = show

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  -- keys of any type (a file may write conv { 128 }): by type, then value
  local function order(k) return type(k) .. ":" .. ((type(k) == "string" or type(k) == "number") and tostring(k) or "") end
  table.sort(ks, function(a, b) return order(a) < order(b) end)
  return ks
end

--- The globals a network file sees: the layer constructors, `network`, and
-- a few safe libraries; any other name is an error that lists the kinds.
local function sandbox(path)
  local chunk_name = "@" .. path
  local env = {
    ipairs = ipairs, pairs = pairs, tostring = tostring, tonumber = tonumber,
    string = string, table = table, math = math, error = error, type = type,
  }
  for kind in pairs(M.kinds) do
    env[kind] = function(args)
      local info = debug.getinfo(2, "Sl")
      local line = (info and info.source == chunk_name) and info.currentline or nil
      if type(args) ~= "table" then
        error(string.format("%s: expected a table of keys, e.g. %s { ... }", kind, kind), 2)
      end
      return { kind = kind, line = line, args = args }
    end
  end
  -- network { name = "...", layer, layer, { more layers }, ... }
  env.network = function(spec)
    local info = debug.getinfo(2, "Sl")
    if type(spec) ~= "table" then error("network: expected a table", 2) end
    return { is_network = true, spec = spec, line = info and info.currentline }
  end

  local kind_list = {}
  for kind in pairs(M.kinds) do kind_list[#kind_list + 1] = kind end
  table.sort(kind_list)
  setmetatable(env, { __index = function(_, name)
    error(string.format("unknown layer kind or name '%s' (layers: %s, and network)",
      tostring(name), table.concat(kind_list, ", ")), 2)
  end })
  return env
end

--- Run the network file in its sandbox: the `network {}` it returns, or nil, errors.
local function run_file(path)
  local f, lerr = loadfile(path, "t", sandbox(path))
  if not f then return nil, { lerr } end
  -- A network file is a program: stop one that runs away (a loop to
  -- math.huge, a table that grows forever) with a message, not a hang.
  local started = os.clock()
  debug.sethook(function()
    if os.clock() - started > LIMIT_SECONDS then
      error(string.format("%s: the network file ran for more than %d s (an endless loop?)", path, LIMIT_SECONDS), 0)
    elseif collectgarbage("count") > LIMIT_KIB then
      error(string.format("%s: the network file used more than %d MiB of memory", path, LIMIT_KIB // 1024), 0)
    end
  end, "", 10000)
  local ok, result = pcall(f)
  debug.sethook()
  if not ok then return nil, { tostring(result) } end
  if type(result) ~= "table" or not result.is_network then
    return nil, { path .. ":1: the file must `return network { name = ..., layers... }`" }
  end
  if not result.line or result.line < 1 then
    -- `return network {...}` is a tail call, which leaves no caller line
    local n = 0
    for text in io.lines(path) do
      n = n + 1
      if text:match("^%s*return%s+network") then result.line = n; break end
    end
  end
  return result
end

--- The network's layers in order, its nested lists of layers expanded.
local function flatten_layers(spec, err_at)
  local layers = {}
  local expanding = {}   -- lists being expanded: a list that contains itself is an error, not a hang
  local cycle_reported = false
  local function add(item)
    if type(item) == "table" and item.kind then
      layers[#layers + 1] = item
    elseif type(item) == "table" then
      if expanding[item] then
        if not cycle_reported then err_at("network: a list of layers contains itself") end
        cycle_reported = true
        return
      end
      expanding[item] = true
      for _, sub in ipairs(item) do add(sub) end
      expanding[item] = nil
    else
      err_at("network: expected a layer or a list of layers, got " .. type(item))
    end
  end
  for _, item in ipairs(spec) do add(item) end
  return layers
end

--- Each layer's name (default: conv1, conv2, ... by kind), unique, and its
-- keys: none unknown, none required missing.
local function check_layers(layers, err_at)
  local count, seen = {}, {}
  for _, l in ipairs(layers) do
    count[l.kind] = (count[l.kind] or 0) + 1
    local known = M.kinds[l.kind]
    l.name = l.args.name
    if l.name == nil then l.name = l.kind .. count[l.kind] end
    if type(l.name) ~= "string" or not l.name:match("^[%a_][%w_]*$") then
      err_at(l.line, string.format("layer %s: 'name' must be a C identifier string", show(l.name)))
      l.name = l.kind .. count[l.kind]
    end
    if seen[l.name] then
      err_at(l.line, string.format("layer %s: name already used on line %d", l.name, seen[l.name].line or 0))
    end
    seen[l.name] = l
    for _, k in ipairs(sorted_keys(l.args)) do
      if type(k) ~= "string" then
        err_at(l.line, string.format("layer %s: %s without a key: write %s { key = value, ... } (known keys: %s)",
          l.name, show(l.args[k]), l.kind, table.concat(sorted_keys(known), ", ")))
      elseif known[k] == nil then
        err_at(l.line, string.format("layer %s: unknown key '%s' for %s (known: %s)",
          l.name, k, l.kind, table.concat(sorted_keys(known), ", ")))
      end
    end
    for _, k in ipairs(sorted_keys(known)) do
      if known[k] and l.args[k] == nil then
        err_at(l.line, string.format("layer %s: missing required key '%s'", l.name, k))
      end
    end
  end
end

--- Load `path`; returns network table {name=, file=, layers={...}} or nil, errors.
function M.load(path)
  local result, errs = run_file(path)
  if not result then return nil, errs end
  local errors = {}
  local function err_at(line, what)
    errors[#errors + 1] = string.format("%s:%d: %s", path, line or 0, what)
  end
  local spec = result.spec
  if type(spec.name) ~= "string" or not spec.name:match("^[%a_][%w_]*$") then
    err_at(result.line, "network: 'name' must be a C identifier string")
  end
  for k in pairs(spec) do
    if type(k) ~= "number" and k ~= "name" then
      err_at(result.line, string.format("network: unknown key %s (known: name, and the layers)", show(k)))
    end
  end
  local layers = flatten_layers(spec, function(what) err_at(result.line, what) end)
  check_layers(layers, err_at)
  if #errors > 0 then return nil, errors end
  return { file = path, name = spec.name, layers = layers, line = result.line }
end

return M
