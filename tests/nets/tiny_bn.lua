-- A tiny network with batch normalisation after two of its convs (one pooled,
-- one not) and a conv without: for the reference and finite-difference checks.
return network {
  name = "tiny_bn",
  input { channels = 3, height = 8, width = 8 },
  conv { name = "c1", filters = 16 }, batchnorm { name = "bn1" }, relu {}, maxpool {}, dropout {},
  conv { name = "c2", filters = 16 }, batchnorm { name = "bn2", momentum = 0.2 }, relu {},
  conv { name = "c3", filters = 16 }, relu {},
  avgpool {},
  dense { name = "d1", units = 8 }, relu {}, dropout {},
  dense { name = "d2", units = 3 },
  softmax_xent {},
}
