-- hep64: the seed's small network (scaling_improvements: false, num_layers: 3,
-- num_fc_units: 512) on 3x64x64 calorimeter images.
-- 3 x [conv, relu, maxpool, dropout] (64 -> 32 -> 16 -> 8),
-- flatten 128*8*8 (C,H,W order) -> dense 512, relu, dropout -> dense 2.
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3 },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep64",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
