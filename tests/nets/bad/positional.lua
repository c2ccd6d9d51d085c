return network {
  name = "bad",
  input { channels = 3, height = 8, width = 8 },
  conv { 16 },
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
