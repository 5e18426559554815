// mask_centres.h: particle centres from a mask of filled disks (CryoPPP/CryoSegNet ground truth).
//
// The masks draw a white disk of known diameter at every true centre; overlapping disks merge,
// so connected components are not particles. Instead, the Euclidean distance transform (EDT) of
// the mask peaks at each disk's centre with height ~ the radius, even where disks touch:
//   1. binarise (> threshold), 2. exact EDT (Felzenszwalb & Huttenlocher's lower envelope of
//   parabolas, two 1-D passes, O(pixels)), 3. keep pixels that are the maximum of their
//   window x window neighbourhood and whose EDT > min_edt_fraction * radius, 4. merge maxima
//   closer than min_distance (plateaus give several equal maxima) keeping the first in raster order.
// Checked on 14_33_35 against its CSV in the data's SOURCES.txt: ~98.7 % recall, ~97.2 % precision at 10 px.
#pragma once

#include <cstdint>
#include <vector>

namespace yp::train {

struct MaskCentreParams {
  double radius = 54.0;            // disk radius in pixels (108-px diameter for EMPIAR-10017)
  int threshold = 127;             // mask pixel > threshold is inside
  int window = 25;                 // local-maximum window (odd)
  double min_edt_fraction = 0.6;   // peak must be at least this fraction of the radius
  double min_distance = 10.0;      // maxima closer than this are one particle
};

struct Centre {
  double x, y;  // column, row of the mask (its own frame: row 0 = first row)
};

// Squared Euclidean distance of every pixel to the nearest background pixel (0 on background).
std::vector<float> distance_transform_sq(const std::vector<uint8_t>& inside, int width, int height);

std::vector<Centre> mask_centres(const uint8_t* mask, int width, int height, const MaskCentreParams& params);

}  // namespace yp::train
