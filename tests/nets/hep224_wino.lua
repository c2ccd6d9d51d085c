-- hep224 with conv2..conv5 by Winograd F(2x2,3x3): for the
-- reference check and make bench.
local layers = { input { channels = 3, height = 224, width = 224 } }
for i = 1, 4 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = i > 1 and "winograd2" or "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep224_wino",
  layers,
  conv { name = "conv5", filters = 128, size = 3, algorithm = "winograd2" },
  relu {},
  avgpool { global = true },
  dense { name = "fc", units = 2 },
  softmax_xent {},
}
