-- hep224: the network of arXiv:1708.05256 as the seed runs it
-- (scaling_improvements: true, num_layers: 4) on 3x224x224 images.
-- 4 x [conv, relu, maxpool, dropout] (224 -> 112 -> 56 -> 28 -> 14),
-- then conv, relu at 14x14, global average pool -> 128, dense 128 -> 2.
local layers = { input { channels = 3, height = 224, width = 224 } }
for i = 1, 4 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3 },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep224",
  layers,
  conv { name = "conv5", filters = 128, size = 3 },
  relu {},
  avgpool { global = true },
  dense { name = "fc", units = 2 },
  softmax_xent {},
}
