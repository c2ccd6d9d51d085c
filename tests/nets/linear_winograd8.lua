-- Winograd F(8x8,3x3) without ReLU or max-pool: c2 and c3 at 20x20 (two
-- whole tiles and a 4-pixel edge). F(8x8)'s forward rounding (about 3e-5
-- of a layer's largest output) flips near-tie pool windows and ReLUs that
-- F(4x4)'s does not, which moves the gradients of the networks with them
-- by up to 2e-2 and the loss's finite differences as much; without kinks
-- the reference check holds the gradients to 2e-4 and the
-- finite-difference check to 1e-2.
return network {
  name = "linear_winograd8",
  input { channels = 3, height = 20, width = 20 },
  conv { name = "c1", filters = 32 },
  conv { name = "c2", filters = 32, algorithm = "winograd8" },
  conv { name = "c3", filters = 32, algorithm = "winograd8" },
  avgpool {},
  dense { name = "d1", units = 3 },
  softmax_xent {},
}
