-- hep64_bn: hep64 with batch normalisation (the seed's batch_norm: true):
-- 3 x [conv (no bias), batchnorm, relu, maxpool, dropout] (64 -> 32 -> 16 -> 8),
-- flatten 128*8*8 -> dense 512, relu, dropout -> dense 2.
-- batchnorm keys: momentum (PyTorch's meaning, default 0.1) and eps (default
-- 1e-4, the original's variance_epsilon).
local layers = { input { channels = 3, height = 64, width = 64 } }
for i = 1, 3 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3 },
    batchnorm { name = "bn" .. i },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep64_bn",
  layers,
  flatten {},
  dense { name = "fc1", units = 512 },
  relu {},
  dropout {},
  dense { name = "fc2", units = 2 },
  softmax_xent {},
}
