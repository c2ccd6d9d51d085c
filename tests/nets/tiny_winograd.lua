-- tiny_avgpool with its second and third convs computed by Winograd
-- F(2x2,3x3) in forward (one pooled, one not): for the reference and
-- finite-difference checks.
return network {
  name = "tiny_winograd",
  input { channels = 3, height = 8, width = 8 },
  conv { name = "c1", filters = 16 }, relu {}, maxpool {}, dropout {},
  conv { name = "c2", filters = 16, algorithm = "winograd2" }, relu {}, maxpool {}, dropout {},
  conv { name = "c3", filters = 16, algorithm = "winograd2" }, relu {},
  avgpool {},
  dense { name = "d1", units = 8 }, relu {}, dropout {},
  dense { name = "d2", units = 3 },
  softmax_xent {},
}
