-- conv2 runs at 6x6: F(4x4,3x3) needs whole 4x4 tiles
return network {
  name = "winograd4_size",
  input { channels = 3, height = 12, width = 12 },
  conv { name = "conv1", filters = 16 }, relu {}, maxpool {},
  conv { name = "conv2", filters = 16, algorithm = "winograd4" }, relu {},
  avgpool {},
  dense { name = "logits", units = 2 },
  softmax_xent {},
}
