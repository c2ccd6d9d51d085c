-- hep64 with its Winograd backward-weights products JITted as AVX2 code
-- (bwd_w_code) on an AVX-512 arch, conv3's by groups of 2 images: the
-- layers must still match the plain-loop reference, and libxsmm's target
-- must be the arch's again after those kernels (tests/test_kernels.sh).
return {
  arch = "test",
  networks = { hep64 = { block = 32 } },
  convs = {
    ["B32 128x32x32->128 pool"] = { wc = 16, bwr = 8, bwd_w_code = "avx2" },
    ["B32 128x16x16->128 pool"] = { wc = 16, bwr = 8, wg = 8, bwd_w_code = "avx2" },
  },
}
