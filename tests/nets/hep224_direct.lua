-- hep224 with every conv direct (the network file's choice over the cost
-- model's Winograd): for the reference check, the AUC comparison and make bench.
local layers = { input { channels = 3, height = 224, width = 224 } }
for i = 1, 4 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep224_direct",
  layers,
  conv { name = "conv5", filters = 128, size = 3, algorithm = "direct" },
  relu {},
  avgpool { global = true },
  dense { name = "fc", units = 2 },
  softmax_xent {},
}
