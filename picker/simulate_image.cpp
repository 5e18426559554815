// simulate_image.cpp: image formation of a simulated micrograph (simulate.h, stage 3): carbon film, the
// weak-phase image through the CTF, amplitude terms (absorption, ice-thickness gradient, smooth background),
// shot noise and the detector PSF. The physics is in docs/picking.md#3-the-micrograph-simulator.
#include <algorithm>
#include <cmath>
#include <complex>

#include "picker/fft.h"
#include "picker/simulate.h"

namespace yp::picker {

double CarbonEdge::signed_distance(double x, double y) const {
  if (!present) return -1e30;
  const double t = -(x - cx) * ny + (y - cy) * nx;
  return (x - cx) * nx + (y - cy) * ny - offset - wave_amp * std::sin(2 * M_PI * t / wave_len + wave_phase);
}

namespace {

// The CCD's scintillator spreads each electron over neighbouring pixels: a separable Gaussian PSF applied after
// the shot noise, which sets the noise grain (neighbour correlation ~0.5 at sigma 0.6 px, as in the raw KLH image).
void blur_detector_psf(std::vector<float>& img, int n, double sigma) {
  if (sigma <= 0) return;
  const int r = int(std::ceil(3 * sigma));
  std::vector<double> k(2 * r + 1);
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (double& v : k) v /= sum;
  std::vector<float> tmp(img.size());
  for (int pass = 0; pass < 2; ++pass) {  // rows, then columns; edges clamp
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        double acc = 0;
        for (int i = -r; i <= r; ++i) {
          const int xx = std::clamp(pass == 0 ? x + i : x, 0, n - 1), yy = std::clamp(pass == 0 ? y : y + i, 0, n - 1);
          acc += k[i + r] * img[size_t(yy) * n + xx];
        }
        tmp[size_t(y) * n + x] = float(acc);
      }
    img.swap(tmp);
  }
}

// A smooth random field with standard deviation ~std: Gaussian values on a grid of `cell`-px cells, blended with
// the smoothstep weight 3t^2 - 2t^3 (continuous slope, no grid lines after the chain's CLAHE).
std::vector<float> smooth_background(int n, double std_dev, double cell, SimRng& rng) {
  std::vector<float> out(size_t(n) * n, 0.0f);
  if (std_dev <= 0) return out;
  const int g = int(std::ceil(n / cell)) + 2;
  std::vector<double> grid(size_t(g) * g);
  for (double& v : grid) v = std_dev * rng.normal();
  auto smooth = [](double t) { return t * t * (3 - 2 * t); };
  for (int y = 0; y < n; ++y) {
    const double fy = y / cell, wy = smooth(fy - std::floor(fy));
    const int gy = int(fy);
    for (int x = 0; x < n; ++x) {
      const double fx = x / cell, wx = smooth(fx - std::floor(fx));
      const int gx = int(fx);
      const double top = grid[size_t(gy) * g + gx] * (1 - wx) + grid[size_t(gy) * g + gx + 1] * wx;
      const double bottom = grid[size_t(gy + 1) * g + gx] * (1 - wx) + grid[size_t(gy + 1) * g + gx + 1] * wx;
      out[size_t(y) * n + x] = float(top * (1 - wy) + bottom * wy);
    }
  }
  return out;
}

}  // namespace

std::vector<float> form_image(const SimulationParams& P, std::vector<float> phi, const std::vector<float>& absorption,
                              const CarbonEdge& carbon, SimRng& rng, double* mean_counts) {
  const int N = P.size;
  // Carbon film: extra phase (a thicker amorphous layer) with a soft edge, and 2 % absorption.
  std::vector<float> carbon_mask(carbon.present ? size_t(N) * N : 0);
  if (carbon.present)
    for (int y = 0; y < N; ++y)
      for (int x = 0; x < N; ++x) {
        const float c = float(1.0 / (1.0 + std::exp(-carbon.signed_distance(x, y) / 1.5)));
        carbon_mask[size_t(y) * N + x] = c;
        phi[size_t(y) * N + x] += float(2 * P.particle_phase) * c;
      }

  // Weak-phase image through the CTF, on a power-of-two grid (zero-padded when N is not one). The ice adds its
  // own white phase noise: through the CTF it becomes the grainy background and the Thon rings of real images.
  const size_t F = next_power_of_two(size_t(N));
  std::vector<std::complex<double>> spec(F * F, {0.0, 0.0});
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x) spec[size_t(y) * F + x] = phi[size_t(y) * N + x] + P.ice_texture * rng.normal();
  fft2d_inplace(spec, F, F, false);
  const double volts = P.voltage_kv * 1e3;
  const double lambda = 12.2643 / std::sqrt(volts * (1.0 + 0.978466e-6 * volts));  // A, relativistic
  const double df = P.defocus_um * 1e4, cs = P.cs_mm * 1e7, A = P.amplitude_contrast;
  for (size_t ky = 0; ky < F; ++ky)
    for (size_t kx = 0; kx < F; ++kx) {
      const double fx = (kx < F / 2 ? double(kx) : double(kx) - F) / (F * P.pixel_A);
      const double fy = (ky < F / 2 ? double(ky) : double(ky) - F) / (F * P.pixel_A);
      const double k2 = fx * fx + fy * fy;
      const double chi = M_PI * lambda * df * k2 - 0.5 * M_PI * cs * lambda * lambda * lambda * k2 * k2;
      const double ctf = (std::sqrt(1 - A * A) * std::sin(chi) + A * std::cos(chi)) * std::exp(-P.bfactor_A2 * k2 / 4);
      spec[ky * F + kx] *= -2.0 * ctf;
    }
  fft2d_inplace(spec, F, F, true);

  // Amplitude terms and shot noise. Ice gradient: a linear ramp of transmitted intensity along a random
  // direction; background: smooth thickness variations over ~300 px.
  const double ga = rng.uniform(0, 2 * M_PI), gx = std::cos(ga), gy = std::sin(ga);
  const std::vector<float> background = smooth_background(N, P.background, 300.0, rng);
  *mean_counts = P.dose_e_per_A2 * P.pixel_A * P.pixel_A;
  std::vector<float> counts(size_t(N) * N);
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x) {
      const size_t i = size_t(y) * N + x;
      const double ramp = ((x - N / 2.0) * gx + (y - N / 2.0) * gy) / N;  // in [-0.71, 0.71]
      double intensity = (1.0 + spec[size_t(y) * F + x].real()) * (1.0 - P.ice_gradient * ramp) * (1.0 + background[i]);
      intensity *= absorption[i] * absorption[i];  // amplitude transmission squared
      if (carbon.present) intensity *= 1.0 - 0.02 * carbon_mask[i];
      counts[i] = float(rng.poisson(std::max(0.0, *mean_counts * intensity)));
    }
  blur_detector_psf(counts, N, P.detector_psf_px);
  return counts;
}

}  // namespace yp::picker
