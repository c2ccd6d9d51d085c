-- a user's network: 96x96 images, 64 filters, 3 classes
local layers = { input { channels = 3, height = 96, width = 96 } }
for i = 1, 4 do
  table.insert(layers, { conv { name = "conv" .. i, filters = 64 }, relu {}, maxpool {}, dropout {} })
end
return network {
  name = "u96",
  layers,
  conv { name = "conv5", filters = 64 }, relu {},
  avgpool {},
  dense { name = "fc1", units = 3 },
  softmax_xent {},
}
