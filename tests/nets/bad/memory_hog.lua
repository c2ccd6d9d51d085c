-- a table that grows by 16 KiB a step: the memory limit stops it well
-- before the time limit (a kilobyte repeated: string.rep of one character
-- writes byte by byte, 2.5 s for 256 MiB on a slow host)
local kilobyte = string.rep("x", 1024)
local names = {}
for i = 1, math.huge do names[i] = string.rep(kilobyte, 16) .. i end
return network { name = "bad", names }
