-- tiny_avgpool at 16x16 with its second conv computed by Winograd
-- F(4x4,3x3) (pooled, 2x2 tiles of 4x4) and its third by F(2x2,3x3) (not
-- pooled), forward and backward-data: for the reference and
-- finite-difference checks.
return network {
  name = "tiny_winograd",
  input { channels = 3, height = 16, width = 16 },
  conv { name = "c1", filters = 16 }, relu {}, maxpool {}, dropout {},
  conv { name = "c2", filters = 16, algorithm = "winograd4" }, relu {}, maxpool {}, dropout {},
  conv { name = "c3", filters = 16, algorithm = "winograd2" }, relu {},
  avgpool {},
  dense { name = "d1", units = 8 }, relu {}, dropout {},
  dense { name = "d2", units = 3 },
  softmax_xent {},
}
