-- gen/tuning.lua's host sections: where make tune records a host's choices
-- (record), which entries a build on a host uses (for_host), and that a
-- file with sections renders and loads back the same.
package.path = "gen/?.lua;" .. package.path
local tuning = require("tuning")
local ok = true
local function expect(what, got, want)
  print(string.format("%-52s %s", what, tostring(got)))
  ok = ok and got == want
end
local function entry(wc) return { wc = wc, bwr = 8, why = "wc " .. wc } end
local A, B = "AuthenticAMD family 26 model 2", "GenuineIntel family 6 model 167"

-- a new file: the first host's choices go to its section and arch-wide
local t = { arch = "skx", networks = {}, convs = {}, hosts = {} }
expect("first host: arch-wide written", tuning.record(t, A, "hep64", { block = 64 }, { k1 = entry(16) }), true)
expect("first host: arch-wide entry", t.convs.k1.wc, 16)
expect("first host: its section", t.hosts[A].convs.k1.wc, 16)
-- a second host: its section only, the arch-wide entries stay the first's,
-- but a shape the file lacks goes arch-wide too
expect("second host: arch-wide written (a new shape)",
  tuning.record(t, B, "hep64", { block = 32 }, { k1 = entry(8), k2 = entry(4) }), true)
expect("second host: arch-wide k1 still the first's", t.convs.k1.wc, 16)
expect("second host: arch-wide block still the first's", t.networks.hep64.block, 64)
expect("second host: new shape arch-wide", t.convs.k2.wc, 4)
expect("second host: its section", t.hosts[B].convs.k1.wc .. " " .. t.hosts[B].networks.hep64.block, "8 32")
expect("second host again: nothing arch-wide", tuning.record(t, B, "hep64", { block = 32 }, { k1 = entry(14) }), false)
expect("second host again: its section replaced", t.hosts[B].convs.k1.wc, 14)
-- no host known: arch-wide, replaced
local u = { arch = "skx", networks = {}, convs = { k1 = entry(16) } }
expect("unknown host: arch-wide replaced", tuning.record(u, nil, "hep64", { block = 64 }, { k1 = entry(7) }) and u.convs.k1.wc, 7)
tuning.record(u, nil, "hep64", { block = 64 }, {}, { d1 = { bwd_d = "in_place" } })
expect("unknown host: dense entry arch-wide", u.denses.d1.bwd_d, "in_place")

-- an arch whose own hosts are named (knl), tuned on another CPU: its
-- section only, even for a shape the file lacks
local k = { arch = "knl", networks = {}, convs = {}, hosts = {} }
expect("section only: nothing arch-wide",
  tuning.record(k, B, "hep64", { block = 32 }, { k1 = entry(16) }, nil, true), false)
expect("section only: no arch-wide entry", tostring(k.convs.k1) .. " " .. tostring(k.networks.hep64), "nil nil")
expect("section only: its section", k.hosts[B].convs.k1.wc .. " " .. k.hosts[B].networks.hep64.block, "16 32")

-- dense entries go the same way
local inplace, packed = { bwd_d = "in_place", why = "in" }, { bwd_d = "packed", kc = 4096, why = "pk" }
tuning.record(t, A, "hep64", { block = 64 }, {}, { d1 = inplace })
tuning.record(t, B, "hep64", { block = 32 }, {}, { d1 = packed })
expect("dense: none arch-wide (host sections only)", tostring(t.denses), "nil")
expect("dense: each host's section its own", t.hosts[A].denses.d1.bwd_d .. " " .. t.hosts[B].denses.d1.bwd_d,
  "in_place packed")

-- the text renders and loads back with its sections
t.convs.k3 = entry(28)   -- arch-wide only
local path = os.tmpname()
local f = assert(io.open(path, "w"))
f:write(tuning.render(t, "-- test"))
f:close()
local back = assert(tuning.load(path))
expect("loaded back: both sections", back.hosts[A].convs.k1.wc .. " " .. back.hosts[B].convs.k1.wc, "16 14")
expect("loaded back: renders the same", tuning.render(back, "-- test") == tuning.render(t, "-- test"), true)

-- a build on host B: its section over the arch-wide entries, marked
back = tuning.for_host(back, B)
expect("on B: k1 from B's section", back.convs.k1.wc, 14)
expect("on B: its source names the section", back.convs.k1.src, string.format("%s hosts[%q]", path, B))
expect("on B: k3 arch-wide, unmarked", back.convs.k3.wc .. " " .. tostring(back.convs.k3.src), "28 nil")
expect("on B: block from B's section", back.networks.hep64.block, 32)
expect("on B: dense entry from B's section", back.denses.d1.bwd_d .. " " .. back.denses.d1.kc, "packed 4096")
expect("on B: a dense entry without kc has none", tostring(tuning.for_host(assert(tuning.load(path)), A).denses.d1.kc),
  "nil")
expect("on another host: no dense entry", tostring(tuning.for_host(assert(tuning.load(path)), "Other family 1 model 1").denses),
  "nil")
local other = tuning.for_host(assert(tuning.load(path)), "Other family 1 model 1")
expect("on another host: the arch-wide entries", other.convs.k1.wc .. " " .. tostring(other.convs.k1.src), "16 nil")
os.remove(path)
os.exit(ok and 0 or 1)
