-- Winograd with partial edge tiles: c2 by F(6x6,3x3) at 10x10 (a whole
-- tile and a 4-pixel edge, pooled), c3 by F(4x4) and c4 by F(2x2) at 5x5
-- (odd edges of one pixel, unpooled): for the reference and
-- finite-difference checks.
return network {
  name = "tiny_winograd6",
  input { channels = 3, height = 20, width = 20 },
  conv { name = "c1", filters = 16 }, relu {}, maxpool {}, dropout {},
  conv { name = "c2", filters = 32, algorithm = "winograd6" }, relu {}, maxpool {}, dropout {},
  conv { name = "c3", filters = 32, algorithm = "winograd4" }, relu {},
  conv { name = "c4", filters = 16, algorithm = "winograd2" }, relu {},
  avgpool {},
  dense { name = "d1", units = 8 }, relu {}, dropout {},
  dense { name = "d2", units = 3 },
  softmax_xent {},
}
