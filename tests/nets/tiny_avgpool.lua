-- A tiny network exercising every layer kind and epilogue with the avgpool
-- head: for the finite-difference gradient check.
return network {
  name = "tiny_avgpool",
  input { channels = 3, height = 8, width = 8 },
  conv { name = "c1", filters = 16 }, relu {}, maxpool {}, dropout {},
  conv { name = "c2", filters = 16 }, relu {}, maxpool {},
  conv { name = "c3", filters = 16 }, relu {},
  avgpool {},
  dense { name = "d1", units = 8 }, relu {}, dropout {},
  dense { name = "d2", units = 3 },
  softmax_xent {},
}
