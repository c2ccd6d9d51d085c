-- a loop that allocates nothing: only the time limit can stop it
local n = 0
while n >= 0 do n = n + 1 end
return network { name = "bad", n }
