// wiener.h: MATLAB wiener2 — adaptive (local) Wiener filter.
//   mu(x)      = (1/mn) sum_{window} g              (window m rows x n columns around x)
//   sigma2(x)  = (1/mn) sum_{window} g^2 - mu^2
//   nu         = mean over the image of sigma2       (unless given)
//   out(x)     = mu + max(sigma2 - nu, 0) / max(sigma2, nu) * (g(x) - mu)
// Flat regions (sigma2 <= nu) become their local mean; edges (sigma2 >> nu) pass almost unchanged.
// Borders: wiener2 computes the sums with filter2(ones(m, n), g, 'same'), i.e. ZERO padding, and still
// divides by m*n, so means near the border are pulled towards 0 — we reproduce that (SciPy's
// signal.wiener does the same). The window covers rows y - floor(m/2) .. y + ceil(m/2) - 1 (conv2 'same'
// centring; symmetric for odd m). Window sums come from a summed-area table (integral image) built
// incrementally in double, so the cost per pixel does not depend on the window size. See docs/preprocessing.md#wiener.
#pragma once

#include "imgproc/image.h"

namespace yp::imgproc {

struct WienerResult {
  Image image;
  double noise = 0;  // the noise power used (estimated or given)
};

// noise < 0 estimates it as the mean local variance, like wiener2(g, [m n]).
WienerResult wiener2(const Image& image, int window_rows = 9, int window_cols = 9, double noise = -1);

}  // namespace yp::imgproc
