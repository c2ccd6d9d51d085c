-- A tiny network whose first dense layer has 4096 inputs (16 filters at
-- 16x16, flattened): make tune races that layer's forward inputs per call
-- (2048 against the default 512) only where they divide its inputs, and
-- tests/test_gen.sh has it do so.
return network {
  name = "tiny_dense",
  input { channels = 3, height = 16, width = 16 },
  conv { name = "c1", filters = 16 }, relu {},
  flatten {},
  dense { name = "d1", units = 2 },
  softmax_xent {},
}
