-- a loop to math.huge where a count was meant
local layers = {}
for i = 1, math.huge do layers[#layers + 1] = { conv { name = "conv" .. i, filters = 16 } } end
return network { name = "bad", layers }
