return network {
  name = "bad",
  input { channels = 3, height = 12, width = 12 },
  conv { filters = 16 }, relu {}, maxpool {},
  conv { filters = 16 }, relu {}, maxpool {},
  conv { filters = 16 }, relu {}, maxpool {},
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
