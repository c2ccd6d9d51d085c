-- A tiny network with the flatten head, a conv without ReLU and dropout on
-- an unpooled conv: for the finite-difference gradient check and the
-- reference (the draws of unpooled rows and of the first conv's rows).
return network {
  name = "tiny_flatten",
  input { channels = 2, height = 12, width = 8 },
  conv { name = "c1", filters = 32 }, relu {}, maxpool {}, dropout {},
  conv { name = "c2", filters = 32 }, dropout {},
  conv { name = "c3", filters = 32 }, maxpool {}, dropout {},
  flatten {},
  dense { name = "d1", units = 2 },
  softmax_xent {},
}
