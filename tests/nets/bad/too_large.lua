return network {
  name = "bad",
  input { channels = 3, height = 100000, width = 100000 },
  conv { filters = 16 },
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
