-- Winograd F(8x8,3x3): c2 at 20x20 (two whole tiles and a 4-pixel edge,
-- pooled), c3 at 10x10 (a whole tile and a 2-pixel edge, pooled) and c4 at
-- 5x5 (a single partial tile, unpooled): for the reference and
-- finite-difference checks.
return network {
  name = "tiny_winograd8",
  input { channels = 3, height = 20, width = 20 },
  conv { name = "c1", filters = 16 }, relu {},
  conv { name = "c2", filters = 32, algorithm = "winograd8" }, relu {}, maxpool {}, dropout {},
  conv { name = "c3", filters = 32, algorithm = "winograd8" }, relu {}, maxpool {}, dropout {},
  conv { name = "c4", filters = 16, algorithm = "winograd8" }, relu {},
  avgpool {},
  dense { name = "d1", units = 8 }, relu {}, dropout {},
  dense { name = "d2", units = 3 },
  softmax_xent {},
}
