// wavelet.cpp: db15 DWT/IDWT along columns (vectorised over x), rows through a transpose, N levels.
// Filters in float: the image is float and the 30-tap sums stay well within float's 24 bits.
#include "imgproc/wavelet.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace yp::imgproc {

const std::array<double, 30>& db15_scaling_filter() {
  // Daubechies' extremal-phase scaling filter of order 15, as tabulated by PyWavelets 1.x and MATLAB's
  // dbwavf('db15') (normalised to sum sqrt(2)). Its properties are tested in tests/imgproc/test_wavelet.cpp.
  static const std::array<double, 30> h = {
      0.004538537361578899, 0.04674339489276627, 0.20602386398699574,
      0.4926317717081396, 0.6458131403574243, 0.3390025354547315,
      -0.19320413960914543, -0.28888259656696563, 0.06528295284877282,
      0.190146714007123, -0.039666176555790945, -0.1111209360372317,
      0.033877143923507685, 0.05478055058450761, -0.025767007328439964,
      -0.020810050169693083, 0.015083918027835902, 0.005101000360407543,
      -0.006487734560315745, -0.00024175649076162427, 0.0019433239803822114,
      -0.000373482354137617, -0.0003595652443624688, 0.00015589648992059973,
      2.5792699155318936e-05, -2.8133296266047814e-05, 3.36298718173758e-06,
      1.8112704079405772e-06, -6.316882325881664e-07, 6.133359913305752e-08};
  return h;
}

namespace {

constexpr int kTaps = 30;

struct Filters {
  float dec_lo[kTaps], dec_hi[kTaps], rec_lo[kTaps], rec_hi[kTaps];
};

// The quadrature-mirror family of h: dec_lo = reversed h, dec_hi[k] = (-1)^(k+1) h[k],
// rec_lo = h, rec_hi = reversed dec_hi (PyWavelets' and MATLAB's orthfilt convention).
const Filters& filters() {
  static const Filters f = [] {
    Filters f{};
    const auto& h = db15_scaling_filter();
    for (int k = 0; k < kTaps; ++k) {
      f.rec_lo[k] = (float)h[k];
      f.dec_lo[k] = (float)h[kTaps - 1 - k];
      f.dec_hi[k] = (float)((k % 2 ? 1 : -1) * h[k]);
    }
    for (int k = 0; k < kTaps; ++k) f.rec_hi[k] = f.dec_hi[kTaps - 1 - k];
    return f;
  }();
  return f;
}

// Half-point symmetric index: ... x1 x0 | x0 x1 ... x(n-1) | x(n-1) x(n-2) ..., period 2n.
int symmetric_index(long i, int n) {
  const long period = 2L * n;
  long j = i % period;
  if (j < 0) j += period;
  return (int)(j < n ? j : period - 1 - j);
}

// One analysis level along y: lo/hi are (floor((h + F - 1)/2), w). hi is skipped when null.
void analyse_columns(const Image& in, Image& lo, Image* hi) {
  const int n = in.height, w = in.width, out_n = (n + kTaps - 1) / 2;
  const Filters& f = filters();
  lo = Image(w, out_n);
  if (hi) *hi = Image(w, out_n);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < out_n; ++i) {
    float* a = lo.row(i);
    float* d = hi ? hi->row(i) : nullptr;
    for (int j = 0; j < kTaps; ++j) {
      const float* src = in.row(symmetric_index(2L * i + 1 - j, n));
      const float wl = f.dec_lo[j], wh = f.dec_hi[j];
      for (int x = 0; x < w; ++x) a[x] += wl * src[x];
      if (d)
        for (int x = 0; x < w; ++x) d[x] += wh * src[x];
    }
  }
}

// One synthesis level along y, output length out_n (<= 2N - F + 2). Empty lo or hi count as zero.
Image synthesise_columns(const Image& lo, const Image& hi, int out_n) {
  const Image& ref = lo.empty() ? hi : lo;
  const int n = ref.height, w = ref.width;
  const Filters& f = filters();
  Image out(w, out_n);
#pragma omp parallel for schedule(static)
  for (int m = 0; m < out_n; ++m) {
    const long k = m + kTaps - 2;  // position in the full synthesis
    float* dst = out.row(m);
    const long i_first = std::max(0L, (k - kTaps + 2) / 2), i_last = std::min<long>(n - 1, k / 2);
    for (long i = i_first; i <= i_last; ++i) {
      const int tap = (int)(k - 2 * i);
      if (!lo.empty()) {
        const float* a = lo.row((int)i);
        const float wl = f.rec_lo[tap];
        for (int x = 0; x < w; ++x) dst[x] += wl * a[x];
      }
      if (!hi.empty()) {
        const float* d = hi.row((int)i);
        const float wh = f.rec_hi[tap];
        for (int x = 0; x < w; ++x) dst[x] += wh * d[x];
      }
    }
  }
  return out;
}

}  // namespace

WaveletDecomposition wavedec2(const Image& image, int levels, bool keep_details) {
  if (image.empty()) throw Error("wavelet: empty image");
  if (levels < 1 || levels > 16) throw Error("wavelet: levels must be 1..16, got " + std::to_string(levels));
  WaveletDecomposition dec;
  Image current = image;
  for (int level = 0; level < levels; ++level) {
    dec.widths.push_back(current.width);
    dec.heights.push_back(current.height);
    Image lo_y, hi_y;
    analyse_columns(current, lo_y, keep_details ? &hi_y : nullptr);
    // Rows: the same column code on the transposes; (w, h) -> bands of (ceil-half w, half h).
    Image ll, lh, hl, hh;
    analyse_columns(transpose(lo_y), ll, keep_details ? &lh : nullptr);
    DetailBands bands;
    if (keep_details) {
      analyse_columns(transpose(hi_y), hl, &hh);
      bands.vertical = transpose(lh);    // low along y, high along x
      bands.horizontal = transpose(hl);  // high along y, low along x
      bands.diagonal = transpose(hh);
    }
    dec.details.push_back(std::move(bands));
    current = transpose(ll);
  }
  dec.approx = std::move(current);
  return dec;
}

Image waverec2(const WaveletDecomposition& dec) {
  Image approx = dec.approx;
  for (int level = (int)dec.details.size() - 1; level >= 0; --level) {
    const DetailBands& b = dec.details[(size_t)level];
    const int w = dec.widths[(size_t)level], h = dec.heights[(size_t)level];
    // Rows first (inverse of the last analysis step): low-y part from (approx, vertical), high-y part
    // from (horizontal, diagonal); each is synthesised along x on the transposes.
    const auto t = [](const Image& im) { return im.empty() ? Image() : transpose(im); };
    Image lo_y = transpose(synthesise_columns(t(approx), t(b.vertical), w));
    Image hi_y;
    if (!b.horizontal.empty() || !b.diagonal.empty())
      hi_y = transpose(synthesise_columns(t(b.horizontal), t(b.diagonal), w));
    approx = synthesise_columns(lo_y, hi_y, h);
  }
  return approx;
}

Image wavelet_suppress(const Image& image, int levels, DetailAction action, const std::vector<int>& suppress_levels) {
  for (int l : suppress_levels)
    if (l < 1 || l > levels)
      throw Error("wavelet: suppress level " + std::to_string(l) + " outside 1.." + std::to_string(levels));
  const auto suppressed = [&](int level) {
    return suppress_levels.empty() ||
           std::find(suppress_levels.begin(), suppress_levels.end(), level) != suppress_levels.end();
  };
  const bool all_zeroed = action == DetailAction::Zero && suppress_levels.empty();
  WaveletDecomposition dec = wavedec2(image, levels, !all_zeroed);
  if (all_zeroed) return waverec2(dec);
  float threshold = 0;
  if (action == DetailAction::SoftThreshold) {
    std::vector<float> mags(dec.details[0].diagonal.data);
    for (float& v : mags) v = std::fabs(v);
    std::nth_element(mags.begin(), mags.begin() + mags.size() / 2, mags.end());
    const double sigma = mags[mags.size() / 2] / 0.6745;
    threshold = (float)(sigma * std::sqrt(2.0 * std::log((double)image.size())));
  }
  for (int level = 1; level <= levels; ++level) {
    if (!suppressed(level)) continue;
    DetailBands& b = dec.details[(size_t)level - 1];
    for (Image* band : {&b.horizontal, &b.vertical, &b.diagonal}) {
      if (action == DetailAction::Zero) {
        *band = Image();
        continue;
      }
      for (float& v : band->data) v = std::copysign(std::max(std::fabs(v) - threshold, 0.f), v);
    }
  }
  return waverec2(dec);
}

}  // namespace yp::imgproc
