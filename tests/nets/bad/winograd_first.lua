return network {
  name = "bad",
  input { channels = 3, height = 8, width = 8 },
  conv { filters = 16, algorithm = "winograd2" }, relu {},
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
