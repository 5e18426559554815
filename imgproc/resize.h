// resize.h: MATLAB imresize(I, [H W], 'bicubic') and integer binning.
// Bicubic = Keys' cubic convolution kernel with a = -0.5:
//   k(s) = 1.5|s|^3 - 2.5|s|^2 + 1            for |s| <= 1
//        = -0.5|s|^3 + 2.5|s|^2 - 4|s| + 2     for 1 < |s| <= 2,   0 beyond.
// Output pixel x (1-based) samples input position u = x/scale + (1 - 1/scale)/2 (pixel centres aligned).
// When shrinking (scale < 1) with antialiasing the kernel is stretched to k_s(t) = scale * k(scale * t),
// 4/scale taps wide, so it low-passes before it decimates. Weights are normalised to sum 1 per output
// pixel, and taps beyond the border read the mirrored image (MATLAB's [1..n, n..1] index table).
// The two dimensions are resized separately, the one with the smaller scale first, as imresize does.
// Derivation and pictures: docs/preprocessing.md#resize.
#pragma once

#include <vector>

#include "imgproc/image.h"

namespace yp::imgproc {

// One output sample's taps: input indices (0-based) and their weights.
struct ResizeTaps {
  int taps = 0;                 // taps per output sample
  std::vector<int> index;       // out_length * taps
  std::vector<float> weight;    // out_length * taps
};

// imresize's contributions(): the taps of a 1-D bicubic resize from in_length to out_length samples.
ResizeTaps bicubic_taps(int in_length, int out_length, bool antialias);

// Bicubic resize to out_width x out_height (imresize with 'bicubic' and 'Antialiasing' true by default).
Image resize_bicubic(const Image& in, int out_width, int out_height, bool antialias = true);

// Mean over factor x factor blocks; the last width % factor columns and height % factor rows are dropped.
Image bin(const Image& in, int factor);

}  // namespace yp::imgproc
