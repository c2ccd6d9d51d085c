-- an algorithm the generator does not have
return network {
  name = "unknown_algorithm",
  input { channels = 3, height = 12, width = 12 },
  conv { name = "conv1", filters = 16 }, relu {}, maxpool {},
  conv { name = "conv2", filters = 16, algorithm = "fft" }, relu {},
  avgpool {},
  dense { name = "logits", units = 2 },
  softmax_xent {},
}
