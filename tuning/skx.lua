-- Blocking measured fastest by `make tune` (gen/tune.lua) for arch skx;
-- the generator uses it instead of its defaults. Reviewed and versioned like code.
return {
  arch = "skx",
  networks = {
    ["hep224"] = { block = 64,
      why = "make tune on vm (AMD EPYC), 2026-11-28, batch 16: ms/step by block 64: 1120.8, 32: 1157.7" },
    ["hep64"] = { block = 64,
      why = "make tune on vm (AMD EPYC), 2026-11-28, batch 64: ms/step by block 64: 360.0, 32: 360.9" },
  },
  convs = {
    ["B64 128x112x112->128 pool"] = { wc = 28, bwr = 8,
      why = "conv2: forward + backward-data ms by width chunk 28: 524.37, 14: 540.40, 56: 539.30; backward ms by rows 8: 523.79, 4: 538.62, 16: 526.49 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 128x14x14->128"] = { wc = 14, bwr = 14,
      why = "conv5: forward + backward-data ms by width chunk 14: 8.40; backward ms by rows 14: 8.82, 7: 9.17 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 128x16x16->128 pool"] = { wc = 16, bwr = 16,
      why = "conv3: forward + backward-data ms by width chunk 16: 42.88, 8: 44.47; backward ms by rows 16: 44.58, 8: 47.11 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 128x28x28->128 pool"] = { wc = 28, bwr = 14,
      why = "conv4: forward + backward-data ms by width chunk 28: 32.62, 14: 33.65; backward ms by rows 14: 33.17, 4: 34.27, 28: 33.06 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 128x32x32->128 pool"] = { wc = 16, bwr = 8,
      why = "conv2: forward + backward-data ms by width chunk 16: 171.95, 8: 177.34, 32: 173.76; backward ms by rows 8: 173.31, 4: 177.67, 16: 171.36 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 128x56x56->128 pool"] = { wc = 28, bwr = 8,
      why = "conv3: forward + backward-data ms by width chunk 28: 130.94, 14: 134.75, 56: 132.69; backward ms by rows 8: 131.67, 4: 135.39, 14: 133.83 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 first 3x224x224->128 pool"] = { wc = 28, bwr = 8,
      why = "conv1: forward + backward-data ms by width chunk 28: 47.11, 14: 52.88, 56: 50.89; backward ms by rows 8: 33.17, 4: 34.43, 16: 32.52 (vm (AMD EPYC), 2026-11-28)" },
    ["B64 first 3x64x64->128 pool"] = { wc = 16, bwr = 8,
      why = "conv1: forward + backward-data ms by width chunk 16: 15.33, 8: 17.54, 32: 16.05; backward ms by rows 8: 10.62, 4: 11.18, 16: 10.33 (vm (AMD EPYC), 2026-11-28)" },
  },
}
