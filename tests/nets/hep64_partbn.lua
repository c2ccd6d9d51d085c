-- hep64_partbn: hep64 with batch normalisation on conv1 and conv3 only, so
-- that conv2 is a plain conv in a network whose backward goes layer by
-- layer (templates/model.c): a tuning entry's backward-data by pairs of
-- images for conv2's shape keeps one image here (tests/test_gen.sh).
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  local block = { conv { name = "conv" .. i, filters = 128, size = 3 } }
  if i ~= 2 then block[#block + 1] = batchnorm { name = "bn" .. i } end
  for _, l in ipairs({ relu {}, maxpool { size = 2 }, dropout {} }) do block[#block + 1] = l end
  table.insert(layers, block)
end

return network {
  name = "hep64_partbn",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
