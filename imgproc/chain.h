// chain.h: the study's pre-processing chain as one call, every step switchable, the study's
// parameters as defaults:
//   resize (bicubic to 1024 x 1024, or integer binning) -> wavelet (db15, 2 levels, details zeroed)
//   -> wiener (9 x 9) -> clahe (4 x 4 tiles, clip 0.01, 256 bins, uniform) -> normalize (0.1 / 99.9 %).
// Before CLAHE the image is rescaled min-max to [0, 1], the range adapthisteq expects of a float image.
// The config serialises to "key = value" lines (to_text / chain_config_from_text) so a trained model
// can store exactly how its inputs were made. See docs/preprocessing.md.
#pragma once

#include <string>
#include <vector>

#include "imgproc/clahe.h"
#include "imgproc/image.h"
#include "imgproc/wavelet.h"

namespace yp::imgproc {

struct ChainConfig {
  bool resize = true;
  int width = 1024, height = 1024;  // bicubic target size
  int bin_factor = 0;               // > 0: bin by this factor instead of the bicubic resize
  bool antialias = true;

  bool wavelet = true;
  int wavelet_levels = 2;
  DetailAction wavelet_action = DetailAction::Zero;
  std::vector<int> wavelet_suppress_levels;  // empty = every level

  bool wiener = true;
  int wiener_rows = 9, wiener_cols = 9;
  double wiener_noise = -1;  // < 0: estimated (mean local variance)

  bool clahe = true;
  ClaheOptions clahe_options;

  bool normalize = true;
  double low_percentile = 0.1, high_percentile = 99.9;
};

// Milliseconds spent in each step of the last run (0 for a step that was off).
struct ChainTimings {
  double resize = 0, wavelet = 0, wiener = 0, clahe = 0, normalize = 0;
};

Image run_chain(const Image& image, const ChainConfig& config, ChainTimings* timings = nullptr);

// "steps = resize,wavelet,..." sets the five on/off switches from a comma list; throws on unknown names.
void set_steps(ChainConfig& config, const std::string& comma_list);
std::string steps_text(const ChainConfig& config);

// Serialisation: one "key = value" per line, every field, in a fixed order. Parsing accepts any subset
// (missing keys keep their defaults) and throws Error naming the line for unknown keys or bad values, and
// then checks the result (check_chain), so a stored chain that could never run is refused when it is read,
// not once per picture.
std::string to_text(const ChainConfig& config);
ChainConfig chain_config_from_text(const std::string& text);

// Throws Error naming the first setting of a switched-on step that its step would reject (a window of 0, fewer
// than 2x2 CLAHE tiles, percentiles out of order, ...). What depends on the picture (too small for the tiles)
// is left to the step.
void check_chain(const ChainConfig& config);

}  // namespace yp::imgproc
