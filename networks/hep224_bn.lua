-- hep224_bn: hep224 with batch normalisation (the seed's batch_norm: true).
-- As in the original benchmark, the 4 pooled blocks are normalised and the
-- last conv keeps its bias:
-- 4 x [conv (no bias), batchnorm, relu, maxpool, dropout] (224 -> 14),
-- then conv, relu at 14x14, global average pool -> 128, dense 128 -> 2.
local layers = { input { channels = 3, height = 224, width = 224 } }
for i = 1, 4 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3 },
    batchnorm { name = "bn" .. i },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep224_bn",
  layers,
  conv { name = "conv5", filters = 128, size = 3 },
  relu {},
  avgpool { global = true },
  dense { name = "fc", units = 2 },
  softmax_xent {},
}
