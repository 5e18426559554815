// wavelet.h: 2-D discrete wavelet transform with the Daubechies db15 filters (30 taps), N levels, and the
// study's detail suppression (MATLAB wavedec2 / waverec2 with dwtmode 'sym', PyWavelets 'symmetric').
//
// One 1-D level of a length-n signal x with the decomposition filters lo, hi (F = 30 taps):
//   a[i] = sum_j lo[j] x[2i + 1 - j],  d[i] = sum_j hi[j] x[2i + 1 - j],  i = 0 .. floor((n + F - 1)/2) - 1
// where x outside [0, n) is the half-point symmetric extension x[-1] = x[0], x[n] = x[n-1] (repeated
// for short signals). The inverse keeps the central 2N - F + 2 samples of the full synthesis
//   r[k] = sum_i a[i] rlo[k - 2i] + d[i] rhi[k - 2i],   x[m] = r[m + F - 2],
// trimmed to the original length (the first n, as MATLAB's wkeep and PyWavelets do for odd n).
// 2-D: columns (along y) then rows (along x). Bands follow PyWavelets' names: horizontal = high-pass
// along y and low-pass along x (cH), vertical = low along y, high along x (cV), diagonal = high in both.
// Why 'sym' and the derivation of the filters' properties: docs/preprocessing.md#wavelet.
#pragma once

#include <array>
#include <vector>

#include "imgproc/image.h"

namespace yp::imgproc {

// The db15 scaling filter h (MATLAB wfilters('db15') LO_R, PyWavelets rec_lo): sum sqrt(2), unit norm,
// orthogonal to its even shifts, and its wavelet has 15 vanishing moments.
const std::array<double, 30>& db15_scaling_filter();

struct DetailBands {
  Image horizontal, vertical, diagonal;  // an empty Image means "all zero" (skipped in reconstruction)
};

struct WaveletDecomposition {
  Image approx;                      // approximation at the coarsest level
  std::vector<DetailBands> details;  // details[0] = level 1 (finest), details[L-1] = level L (coarsest)
  std::vector<int> widths, heights;  // size of the signal entering each level (level 1 = the image)
};

// wavedec2(image, levels, 'db15'). With keep_details false only the approximations are computed
// (the detail bands stay empty = zero), which halves the work when they would be zeroed anyway.
WaveletDecomposition wavedec2(const Image& image, int levels, bool keep_details = true);

// waverec2: the exact inverse when no band was changed (perfect reconstruction).
Image waverec2(const WaveletDecomposition& dec);

enum class DetailAction { Zero, SoftThreshold };

// The study's wavelet step: decompose into `levels`, then zero (default) or soft-threshold the detail
// bands of the levels listed in suppress_levels (1 = finest; empty = all), and reconstruct.
// The soft threshold is the universal one, T = sigma * sqrt(2 ln N), sigma = median(|cD level 1|) / 0.6745.
Image wavelet_suppress(const Image& image, int levels = 2, DetailAction action = DetailAction::Zero,
                       const std::vector<int>& suppress_levels = {});

}  // namespace yp::imgproc
