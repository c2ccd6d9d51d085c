-- hep64 with every conv direct (the network file's choice over the cost
-- model's Winograd): for the reference check, the AUC comparison and make bench.
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep64_direct",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
