-- An unusual blocking for hep64 (block 32, narrow width chunks, few
-- backward rows, direct backward-weights calls of fewer rows than the
-- band, Winograd backward-weights groups of one tile row, a Winograd
-- forward by groups of 2 tile rows, a Winograd backward-data by groups of
-- 4 that wait for 8 bands of 2 rows, fc1's forward by 1024 inputs a
-- call and its backward-data reading the weight in place), far
-- from the defaults, and passes of one conv split
-- between Winograd and direct: the layers must still match the plain-loop
-- reference with it (tests/test_kernels.sh).
return {
  arch = "test",
  networks = { hep64 = { block = 32 } },
  convs = {
    ["B32 first 3x64x64->128 pool"] = { wc = 32, bwr = 4, bwc = 2 },
    ["B32 128x32x32->128 pool"] = { wc = 8, bwr = 4, wg = 1, wfg = 2,
      forward = "winograd4", backward_data = "direct", backward_weights = "winograd4" },
    ["B32 128x16x16->128 pool"] = { wc = 4, bwr = 2, bwc = 1, wdg = 4,
      forward = "direct", backward_data = "winograd2", backward_weights = "direct" },
  },
  denses = { ["8192->512"] = { bwd_d = "in_place", kc = 1024 } },
}
