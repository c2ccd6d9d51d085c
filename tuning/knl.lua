-- Blocking and algorithms measured fastest by `make tune` (gen/tune.lua) for arch knl;
-- the generator uses it instead of its defaults. Reviewed and versioned like code.
-- Only a host's section so far, no arch-wide entries: those are what a build on
-- another CPU (a cluster's login node) reads, and the first make tune on a KNL
-- node fills them, where entries timed on this AVX-512 Zen 5 would stay in their way.
return {
  arch = "knl",
  hosts = {
    ["AuthenticAMD family 26 model 2"] = {
      networks = {
        ["hep224"] = { block = 64,
          why = "make tune on vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04, batch 16: ms/step by block 64: 182.8, 32: 202.2" },
        ["hep64"] = { block = 32,
          why = "make tune on vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04, batch 64: ms/step by block 64: 70.8, 32: 65.3" },
      },
      convs = {
        ["B32 128x16x16->128 pool"] = { wc = 16, bwr = 8, wg = 8, wfg = 4, wdg = 2,
          forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4",
          why = "conv3: forward + backward-data ms by width chunk 16: 9.39, 8: 9.33; backward ms by rows 16: 9.32, 8: 8.98; backward-weights ms by Winograd group (tile rows) default: 4.52, 8: 4.23, 32: 5.02; backward-weights ms by code default: 4.52, avx2: 6.35; forward ms by Winograd forward group (tile rows) default: 4.59, 2: 4.00, 4: 3.81; backward-data ms by Winograd backward-data group (tile rows) default: 4.79, 2: 4.25, 4: 5.18; forward/backward-data/backward-weights ms by algorithm: winograd4 4.59/4.79/4.52, direct 10.39/10.42/10.65, winograd2 6.19/5.93/5.55, winograd6 5.99/6.63/5.18, winograd8 5.39/7.29/4.11 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B32 128x32x32->128 pool"] = { wc = 16, bwr = 4, wg = 8, wfg = 2, wdg = 2,
          forward = "winograd8", backward_data = "winograd8", backward_weights = "winograd8",
          why = "conv2: forward + backward-data ms by width chunk 16: 27.50, 8: 27.20, 32: 27.75; backward ms by rows 8: 26.57, 4: 25.49, 16: 26.12; backward-weights ms by Winograd group (tile rows) default: 12.87, 8: 12.19, 32: 14.19; backward-weights ms by code default: 12.87, avx2: 17.65; forward ms by Winograd forward group (tile rows) default: 13.81, 2: 12.02, 4: 12.30; backward-data ms by Winograd backward-data group (tile rows) default: 13.70, 2: 12.07, 4: 14.36; forward/backward-data/backward-weights ms by algorithm: winograd8 13.81/13.70/12.87, direct 41.19/40.66/44.73, winograd2 23.52/22.07/21.82, winograd4 15.10/13.93/13.43, winograd6 16.57/16.10/15.36 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B32 first 3x64x64->128 pool"] = { wc = 16, bwr = 8,
          forward = "direct", backward_data = "direct", backward_weights = "direct",
          why = "conv1: forward + backward-data ms by width chunk 16: 6.44, 8: 6.79, 32: 6.44; backward ms by rows 8: 4.66, 4: 4.62, 16: 4.75; backward-weights ms by rows per call default: 3.90, 4: 3.99; forward/backward-data/backward-weights ms by algorithm: direct 5.67/0.76/3.90 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B64 128x112x112->128 pool"] = { wc = 28, bwr = 8, wg = 2, wfg = 2, wdg = 2,
          forward = "winograd8", backward_data = "winograd8", backward_weights = "winograd8",
          why = "conv2: forward + backward-data ms by width chunk 28: 71.15, 14: 72.18, 56: 70.49; backward ms by rows 8: 72.75, 4: 78.35, 16: 76.44; backward-weights ms by Winograd group (tile rows) default: 36.05, 2: 34.44, 14: 49.08; backward-weights ms by code default: 36.05, avx2: 49.89; forward ms by Winograd forward group (tile rows) default: 34.44, 2: 29.35; backward-data ms by Winograd backward-data group (tile rows) default: 36.71, 2: 33.04; forward/backward-data/backward-weights ms by algorithm: winograd8 34.44/36.71/36.05, direct 112.60/114.39/134.77, winograd2 63.61/64.87/68.42, winograd4 39.78/41.91/43.24, winograd6 38.37/39.85/40.74 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B64 128x14x14->128"] = { wc = 14, bwr = 14, wfg = 7,
          forward = "winograd2", backward_data = "winograd2", backward_weights = "winograd2",
          why = "conv5: forward + backward-data ms by width chunk 14: 2.72; backward ms by rows 14: 2.88, 7: 2.95; backward-weights ms by Winograd group (tile rows) default: 1.33, 1: 1.70, 14: 1.55; backward-weights ms by code default: 1.33, avx2: 2.00; forward ms by Winograd forward group (tile rows) default: 1.17, 7: 1.09; backward-data ms by Winograd backward-data group (tile rows) default: 1.55, 7: 1.57; forward/backward-data/backward-weights ms by algorithm: winograd2 1.17/1.55/1.33, direct 1.82/2.00/2.13, winograd4 1.25/1.83/1.35, winograd6 1.51/2.40/1.64, winograd8 1.67/2.75/1.53 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B64 128x28x28->128 pool"] = { wc = 28, bwr = 14, wfg = 7, wdg = 7,
          forward = "winograd4", backward_data = "winograd4", backward_weights = "winograd4",
          why = "conv4: forward + backward-data ms by width chunk 28: 6.34, 14: 6.40; backward ms by rows 14: 6.57, 4: 6.49, 28: 6.80; backward-weights ms by Winograd group (tile rows) default: 2.95, 1: 3.92, 14: 3.42; backward-weights ms by code default: 2.95, avx2: 4.49; forward ms by Winograd forward group (tile rows) default: 2.72, 7: 2.50; backward-data ms by Winograd backward-data group (tile rows) default: 3.62, 7: 3.17; forward/backward-data/backward-weights ms by algorithm: winograd4 2.72/3.62/2.95, direct 6.98/7.20/7.97, winograd2 4.21/4.58/4.44, winograd6 3.01/3.98/3.84, winograd8 3.46/5.23/3.97 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B64 128x56x56->128 pool"] = { wc = 28, bwr = 8, wfg = 7, wdg = 7,
          forward = "winograd8", backward_data = "winograd8", backward_weights = "winograd8",
          why = "conv3: forward + backward-data ms by width chunk 28: 21.92, 14: 22.19, 56: 21.86; backward ms by rows 8: 21.37, 4: 23.15, 14: 22.55; backward-weights ms by Winograd group (tile rows) default: 9.46, 1: 11.66, 14: 10.02; backward-weights ms by code default: 9.46, avx2: 13.95; forward ms by Winograd forward group (tile rows) default: 10.01, 7: 7.92; backward-data ms by Winograd backward-data group (tile rows) default: 11.91, 7: 10.10; forward/backward-data/backward-weights ms by algorithm: winograd8 10.01/11.91/9.46, direct 28.01/29.02/31.21, winograd2 16.19/17.16/16.90, winograd4 9.95/11.00/11.24, winograd6 11.06/13.19/13.23 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["B64 first 3x224x224->128 pool"] = { wc = 28, bwr = 8,
          forward = "direct", backward_data = "direct", backward_weights = "direct",
          why = "conv1: forward + backward-data ms by width chunk 28: 18.32, 14: 19.85, 56: 18.64; backward ms by rows 8: 14.92, 4: 14.53, 16: 14.53; backward-weights ms by rows per call default: 11.35, 4: 11.48; forward/backward-data/backward-weights ms by algorithm: direct 14.75/3.58/11.35 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
      },
      denses = {
        ["128->2"] = { bwd_d = "in_place",
          why = "fc: backward-data ms packed 0.01, in place 0.00; ms/step 180.7, 180.8 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
        ["8192->512"] = { bwd_d = "packed",
          why = "fc1: backward-data ms packed 1.48, in place 2.06; ms/step 65.6, 68.6 (vm (AMD EPYC, family 26 model 2, AVX-512), 2026-12-04)" },
      },
    },
  },
}
