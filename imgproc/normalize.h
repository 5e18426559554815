// normalize.h: intensity normalisation to [0, 1] (and 8-bit).
//   out = clamp((v - lo) / (hi - lo), 0, 1),  lo, hi = the low and high percentiles of the image
// (linear interpolation between order statistics, numpy.percentile's default). Percentiles 0 and 100
// are min-max. A constant image (hi == lo) maps to 0.5 rather than dividing by zero.
#pragma once

#include <cstdint>
#include <vector>

#include "imgproc/image.h"

namespace yp::imgproc {

// The p-th percentile (0..100) of the image values.
double percentile(const Image& image, double p);

Image normalize(const Image& image, double low_percentile = 0.1, double high_percentile = 99.9);

// Values to [0, 1] the way training reads pictures: 8-bit data (not from an MRC file, max <= 255) / 255, anything
// else (MRC, 16-bit pictures) by its 0.1 / 99.9 % percentiles.
Image to_unit_range(const Image& image, bool from_mrc);

// round(255 * clamp(v, 0, 1)) for an image already in [0, 1].
std::vector<uint8_t> to_uint8(const Image& image01);

}  // namespace yp::imgproc
