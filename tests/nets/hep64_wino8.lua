-- hep64 with conv2 and conv3 by Winograd F(8x8,3x3) in every pass, whole
-- tiles (32 = 4 x 8, 16 = 2 x 8): for the training comparison and the
-- reference check.
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = i > 1 and "winograd8" or "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep64_wino8",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
