-- An input with more channels than the seed's 3 (20): for the checks that
-- every per-channel buffer (normalisation maxima, checkpoints) is sized by
-- the network.
return network {
  name = "wide_input",
  input { channels = 20, height = 16, width = 16 },
  conv { name = "c1", filters = 16 }, relu {}, maxpool {},
  conv { name = "c2", filters = 16 }, relu {}, maxpool {},
  flatten {},
  dense { name = "out", units = 2 },
  softmax_xent {},
}
