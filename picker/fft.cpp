// fft.cpp: radix-2 FFT (fft.h). Bit-reversal permutation, then log2(N) butterfly passes; twiddles are
// computed per pass from exp(-2 pi i / len) by direct evaluation (not by repeated multiplication, which
// drifts for N = 2048+).
#include "picker/fft.h"

#include <cmath>

#include "util/error.h"

namespace yp::picker {

bool is_power_of_two(size_t n) { return n > 0 && (n & (n - 1)) == 0; }

size_t next_power_of_two(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void fft_inplace(std::complex<double>* a, size_t n, bool inverse) {
  if (!is_power_of_two(n)) throw Error("fft: length " + std::to_string(n) + " is not a power of two");
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  const double sign = inverse ? 1.0 : -1.0;
  std::vector<std::complex<double>> w;
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len / 2;
    w.resize(half);
    for (size_t k = 0; k < half; ++k) {
      const double ang = sign * 2.0 * M_PI * double(k) / double(len);
      w[k] = {std::cos(ang), std::sin(ang)};
    }
    for (size_t i = 0; i < n; i += len)
      for (size_t k = 0; k < half; ++k) {
        const std::complex<double> u = a[i + k], v = a[i + k + half] * w[k];
        a[i + k] = u + v;
        a[i + k + half] = u - v;
      }
  }
  if (inverse)
    for (size_t i = 0; i < n; ++i) a[i] /= double(n);
}

void fft2d_inplace(std::vector<std::complex<double>>& data, size_t nx, size_t ny, bool inverse) {
  if (data.size() != nx * ny) throw Error("fft2d: buffer size does not match nx * ny");
#pragma omp parallel for schedule(static)
  for (long long y = 0; y < static_cast<long long>(ny); ++y) fft_inplace(&data[y * nx], nx, inverse);
#pragma omp parallel
  {
    std::vector<std::complex<double>> col(ny);
#pragma omp for schedule(static)
    for (long long x = 0; x < static_cast<long long>(nx); ++x) {
      for (size_t y = 0; y < ny; ++y) col[y] = data[y * nx + x];
      fft_inplace(col.data(), ny, inverse);
      for (size_t y = 0; y < ny; ++y) data[y * nx + x] = col[y];
    }
  }
}

}  // namespace yp::picker
