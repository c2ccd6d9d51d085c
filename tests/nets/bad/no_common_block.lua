-- Each conv has a channel block of hsw's that fits it (16 for the first,
-- max-pooled; 8 for the second), but none fits both.
return network {
  name = "bad",
  input { channels = 3, height = 8, width = 8 },
  conv { filters = 48 }, relu {}, maxpool {},
  conv { filters = 40 }, relu {},
  avgpool {}, dense { units = 2 }, softmax_xent {},
}
