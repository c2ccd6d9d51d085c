-- hep64 with a 4-class head: the same network as hep64.lua, with the last
-- dense layer widened to 4 units. Labels are then 0..3. This is all it takes
-- to train a multi-class classifier: edit the units of the classifier.
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
  name = "hep64_4class",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 4 },
  softmax_xent {},
}
