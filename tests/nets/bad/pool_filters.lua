-- 24 filters: a multiple of hsw's smallest channel block, 8, but a conv
-- followed by a max-pool needs a block that is a multiple of 16.
return network {
  name = "bad",
  input { channels = 3, height = 8, width = 8 },
  conv { filters = 24 }, relu {}, maxpool {},
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
