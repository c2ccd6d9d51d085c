-- hep64 with conv2 and conv3 by Winograd F(2x2,3x3): for the
-- reference check and make bench.
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = i > 1 and "winograd2" or "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep64_wino",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
