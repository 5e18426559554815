// clahe.h: MATLAB adapthisteq — contrast-limited adaptive histogram equalisation (Zuiderveld 1994).
// Input: an image with values in [0, 1] (values outside are clamped, as adapthisteq's histogram does).
//  1. If a tile would not be an even number of pixels, the image is padded symmetrically (padarray
//     'symmetric', half before / half after) so that it splits into NumTiles exactly, tiles even-sized.
//  2. Per tile: a histogram of NBins bins, bin = round(v * (NBins - 1)); clip each bin at
//        clip = ceil(P / NBins) + round(ClipLimit * (P - ceil(P / NBins)))   (P = pixels per tile)
//     and hand the clipped excess back: evenly first, then one at a time in strides over the bins.
//  3. Per tile: a mapping from the clipped cumulative histogram c(k)/P to the target distribution:
//     uniform  m = c/P;  rayleigh  m = sqrt(-2 alpha^2 ln(1 - (1 - e^{-1/(2 alpha^2)}) c/P));
//     exponential  m = -ln(1 - (1 - e^{-alpha}) c/P) / alpha;  all capped at 1.
//  4. Per pixel: bilinear interpolation between the mappings of the four nearest tile centres
//     (one or two at the image edges and corners), then the padding is cut off.
// Output values lie in [0, 1]. See docs/preprocessing.md#clahe for the differences from scikit-image.
#pragma once

#include <string>

#include "imgproc/image.h"

namespace yp::imgproc {

enum class ClaheDistribution { Uniform, Rayleigh, Exponential };

struct ClaheOptions {
  int tiles_x = 4, tiles_y = 4;  // NumTiles [rows cols] = [tiles_y tiles_x]
  double clip_limit = 0.01;      // ClipLimit in [0, 1]; 1 = no clipping (plain AHE)
  int bins = 256;                // NBins
  ClaheDistribution distribution = ClaheDistribution::Uniform;
  double alpha = 0.4;            // Alpha, for rayleigh and exponential
};

Image clahe(const Image& image01, const ClaheOptions& options = {});

const char* distribution_name(ClaheDistribution d);
ClaheDistribution parse_distribution(const std::string& name);  // throws Error on an unknown name

}  // namespace yp::imgproc
