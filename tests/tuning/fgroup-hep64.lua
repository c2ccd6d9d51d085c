-- Winograd forwards and backward-data by groups of tile rows (wfg, wdg)
-- for hep64: conv2 by F(6x6), whose 6 tile rows end in partial tiles, in
-- groups of 3 forward and 2 backward; conv3 by F(4x4) in groups of its 4
-- tile rows (a whole image) both ways. The layers must
-- match the plain-loop reference with it, on 2 threads and with fewer
-- groups than threads, where parts of the output blocks are cut
-- (tests/test_kernels.sh). Entries for both blocks: native takes 64 on an
-- AVX-512 host, 32 on an AVX2 one.
return {
  arch = "test",
  convs = {
    ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8, wfg = 3, wdg = 2,
      forward = "winograd6", backward_data = "winograd6", backward_weights = "winograd6" },
    ["B64 128x16x16->128 pool"] = { wc = 16, bwr = 16, wfg = 4, wdg = 4,
      forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" },
    ["B32 128x32x32->128 pool"] = { wc = 16, bwr = 8, wfg = 3, wdg = 2,
      forward = "winograd6", backward_data = "winograd6", backward_weights = "winograd6" },
    ["B32 128x16x16->128 pool"] = { wc = 16, bwr = 16, wfg = 4, wdg = 4,
      forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" },
  },
}
