-- hep64 with conv2 and conv3 by Winograd F(6x6,3x3), both ending in partial
-- tiles (32 = 5 x 6 + 2, 16 = 2 x 6 + 4): for the training comparison, the
-- reference check and make bench.
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = i > 1 and "winograd6" or "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep64_wino6",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
