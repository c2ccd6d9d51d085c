local layers = { input { channels = 3, height = 8, width = 8 } }
table.insert(layers, { conv { filters = 16 }, layers })
return network {
  name = "bad",
  layers,
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
