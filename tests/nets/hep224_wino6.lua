-- hep224 with conv2..conv5 by Winograd F(6x6,3x3): conv2's rows of 19
-- tiles at 112x112 end in a partial tile and go in chunks with a shorter
-- last one; conv5 at 14x14 ends in a partial tile of 2. For the reference
-- check and make bench.
local layers = { input { channels = 3, height = 224, width = 224 } }
for i = 1, 4 do
  table.insert(layers, {
    conv { name = "conv" .. i, filters = 128, size = 3, algorithm = i > 1 and "winograd6" or "direct" },
    relu {},
    maxpool { size = 2 },
    dropout {},
  })
end

return network {
  name = "hep224_wino6",
  layers,
  conv { name = "conv5", filters = 128, size = 3, algorithm = "winograd6" },
  relu {},
  avgpool { global = true },
  dense { name = "fc", units = 2 },
  softmax_xent {},
}
