-- Winograd forwards by groups of whole images (wfg a multiple of the
-- layer's tile rows) for hep64: conv2 by F(8x8), 4 tile rows an image, in
-- groups of 2 images (wfg = 8); conv3 by F(4x4), 4 tile rows, in groups of
-- 3 (wfg = 12), so that a batch of 5 ends in a group of fewer images in
-- both. conv2's backward-data takes two images too (wdg = 8: the backward
-- then goes by pairs of images), conv3's one. The layers must match the
-- plain-loop reference with it, on 2 threads and with fewer groups than
-- threads, where parts of the output blocks are cut, and with a thread's
-- odd image left alone (tests/test_kernels.sh); hep64_bn's batch-norm
-- convs take one image a group. Entries for both blocks: native takes 64
-- on an AVX-512 host, 32 on an AVX2 one.
return {
  arch = "test",
  convs = {
    ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8, wfg = 8, wdg = 8,
      forward = "winograd8", backward_data = "winograd8", backward_weights = "winograd8" },
    ["B64 128x16x16->128 pool"] = { wc = 16, bwr = 16, wfg = 12,
      forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" },
    ["B32 128x32x32->128 pool"] = { wc = 16, bwr = 8, wfg = 8, wdg = 8,
      forward = "winograd8", backward_data = "winograd8", backward_weights = "winograd8" },
    ["B32 128x16x16->128 pool"] = { wc = 16, bwr = 16, wfg = 12,
      forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4" },
  },
}
