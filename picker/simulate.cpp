// simulate.cpp: object placement, image formation (CTF, ice, carbon, shot noise) and the simulator's output
// files (simulate.h; physics and choices in docs/picking.md#the-micrograph-simulator).
#include "picker/simulate.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <filesystem>

#include "picker/fft.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "picker/plot.h"
#include "util/error.h"
#include "util/text.h"

namespace yp::picker {

const char* object_kind_name(ObjectKind k) {
  switch (k) {
    case ObjectKind::Particle: return "particle";
    case ObjectKind::Overlapping: return "overlapping";
    case ObjectKind::Aggregate: return "aggregate";
    case ObjectKind::UnderDebris: return "under_debris";
    case ObjectKind::Damaged: return "damaged";
    case ObjectKind::Stacked: return "stacked";
  }
  return "?";
}

namespace {

// A side view's wall is crossed along a chord of ~2 sqrt(Ro^2 - Ri^2) ~ 0.55 of the cylinder length that a top
// view's wall projects, but its tiers concentrate mass into bands; 1.6x matches the real images' contrast.
constexpr double kSideViewWeight = 1.6;

// A straight carbon edge with a gentle wave; carbon lies where signed_distance > 0.
struct CarbonEdge {
  bool present = false;
  double nx = 0, ny = 0, offset = 0, wave_amp = 0, wave_len = 1, wave_phase = 0, cx = 0, cy = 0;
  double signed_distance(double x, double y) const {
    if (!present) return -1e30;
    const double t = -(x - cx) * ny + (y - cy) * nx;
    return (x - cx) * nx + (y - cy) * ny - offset - wave_amp * std::sin(2 * M_PI * t / wave_len + wave_phase);
  }
};

struct Disc {
  double x, y, r;
  bool clean;
};

struct Placer {
  int size;
  double min_spacing;
  const CarbonEdge& carbon;
  SimRng& rng;
  std::vector<Disc> discs;
  // A random centre for a disc of radius r inside the image, off the carbon, clear of earlier discs.
  bool place(double r, bool clean, double* x, double* y) {
    const double margin = 4;
    if (2 * (r + margin) >= size) return false;
    for (int attempt = 0; attempt < 300; ++attempt) {
      const double px = rng.uniform(r + margin, size - 1 - r - margin), py = rng.uniform(r + margin, size - 1 - r - margin);
      if (carbon.signed_distance(px, py) > -r - 10) continue;
      bool ok = true;
      for (const Disc& d : discs) {
        const double dist = std::hypot(px - d.x, py - d.y);
        if (dist < r + d.r + 8 || (clean && d.clean && dist < min_spacing)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      discs.push_back({px, py, r, clean});
      *x = px;
      *y = py;
      return true;
    }
    return false;
  }
};

SimObject make_object(double x, double y, int cls, double angle, double length, ObjectKind kind, const KlhGeometry& g) {
  SimObject o;
  o.box.x = x;
  o.box.y = y;
  o.box.cls = cls;
  o.angle_rad = angle;
  o.kind = kind;
  if (cls == 0) {
    o.box.w = o.box.h = g.diameter_px;
  } else {
    o.length_px = length;
    const auto [w, h] = rotated_box_size(g.diameter_px, length, angle);
    o.box.w = w;
    o.box.h = h;
  }
  return o;
}

double bounding_radius(const SimObject& o, const KlhGeometry& g) {
  return o.box.cls == 0 ? g.diameter_px / 2 : std::hypot(g.diameter_px / 2, o.length_px / 2);
}

// The CCD's scintillator spreads each electron over neighbouring pixels: a separable Gaussian PSF applied after
// the shot noise, which makes the noise grain a few pixels wide as in the real KLH images.
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

}  // namespace

SimulatedMicrograph simulate_micrograph(const SimulationParams& P, int index) {
  if (P.size < 64 || P.size > 16384) throw Error("simulate: --size must be in [64, 16384]");
  if (P.pixel_A <= 0 || P.dose_e_per_A2 <= 0 || P.particle_phase <= 0)
    throw Error("simulate: pixel size, dose and phase must be positive");
  const int N = P.size;
  const KlhGeometry g = KlhGeometry::from_pixel_size(P.pixel_A);
  // Hash seed and index separately: splitmix64 steps its state by a constant, so a plain "seed + index * step"
  // would make micrograph i+1 the sequence of micrograph i shifted by one draw.
  SimRng rng(SimRng(P.seed).next() ^ SimRng(0xC0FFEEull + static_cast<uint64_t>(index)).next());
  SimulatedMicrograph m;
  m.size = N;
  std::vector<float> phi(size_t(N) * N, 0.0f);

  CarbonEdge carbon;
  if (rng.uniform() < P.carbon_probability) {
    const double a = rng.uniform(0, 2 * M_PI);
    carbon = {true, std::cos(a), std::sin(a), N * rng.uniform(0.32, 0.45), N * 0.012, N * 0.35, rng.uniform(0, 2 * M_PI),
              N / 2.0, N / 2.0};
  }
  const double spacing = P.min_spacing_px > 0 ? P.min_spacing_px : 1.1 * g.diameter_px;
  Placer placer{N, spacing, carbon, rng, {}};
  auto random_view = [&](double x, double y, ObjectKind kind) {
    const int cls = rng.uniform() < P.side_fraction ? 1 : 0;
    return make_object(x, y, cls, rng.uniform(0, 2 * M_PI), g.length_px, kind, g);
  };
  const double side_r = std::hypot(g.diameter_px / 2, g.length_px / 2);
  struct Rendered {
    SimObject o;
    double damage;
  };
  std::vector<Rendered> to_render;

  // Not-to-pick groups first: they need the most room.
  for (int i = 0; i < P.overlapping_pairs; ++i) {
    const double sep = rng.uniform(0.45, 0.75) * g.diameter_px, a = rng.uniform(0, 2 * M_PI);
    double x, y;
    if (!placer.place(sep / 2 + side_r, false, &x, &y)) continue;
    for (int s : {-1, 1})
      to_render.push_back({random_view(x + s * sep / 2 * std::cos(a), y + s * sep / 2 * std::sin(a), ObjectKind::Overlapping), -1});
  }
  for (int i = 0; i < P.aggregates; ++i) {
    const int members = 3 + int(rng.uniform() * 2);
    const double reach = 0.85 * g.diameter_px;
    double x, y;
    if (!placer.place(reach + side_r, false, &x, &y)) continue;
    std::vector<std::pair<double, double>> pos{{x, y}};
    while (int(pos.size()) < members) {
      const auto& base = pos[size_t(rng.uniform() * pos.size())];
      const double a = rng.uniform(0, 2 * M_PI), d = rng.uniform(0.55, 0.85) * g.diameter_px;
      const double px = base.first + d * std::cos(a), py = base.second + d * std::sin(a);
      if (std::hypot(px - x, py - y) <= reach) pos.emplace_back(px, py);
    }
    for (const auto& p : pos) to_render.push_back({random_view(p.first, p.second, ObjectKind::Aggregate), -1});
  }
  for (int i = 0; i < P.under_debris; ++i) {
    double x, y;
    if (!placer.place(side_r, false, &x, &y)) continue;
    to_render.push_back({random_view(x, y, ObjectKind::UnderDebris), -1});
    const double a = rng.uniform(0, 2 * M_PI), d = rng.uniform(0, 0.3) * g.diameter_px;
    render_blob(phi, N, x + d * std::cos(a), y + d * std::sin(a), rng.uniform(0.25, 0.45) * g.diameter_px, 4 * P.particle_phase, rng);
  }
  for (int i = 0; i < P.damaged; ++i) {
    double x, y;
    if (!placer.place(side_r, false, &x, &y)) continue;
    to_render.push_back({random_view(x, y, ObjectKind::Damaged), rng.uniform(0, 2 * M_PI)});
  }
  for (int i = 0; i < P.stacked; ++i) {
    const double length = g.length_px * (rng.uniform() < 0.7 ? 2 : 3);
    double x, y;
    if (!placer.place(std::hypot(g.diameter_px / 2, length / 2), false, &x, &y)) continue;
    to_render.push_back({make_object(x, y, 1, rng.uniform(0, 2 * M_PI), length, ObjectKind::Stacked, g), -1});
  }
  for (int i = 0; i < P.particles; ++i) {
    SimObject o = random_view(0, 0, ObjectKind::Particle);
    double x, y;
    if (!placer.place(bounding_radius(o, g), true, &x, &y)) continue;
    to_render.push_back({make_object(x, y, o.box.cls, o.angle_rad, o.length_px, ObjectKind::Particle, g), -1});
  }
  for (const Rendered& r : to_render) {
    if (r.o.box.cls == 0)
      render_top_view(phi, N, r.o, g, P.particle_phase, r.damage);
    else
      render_side_view(phi, N, r.o, g, kSideViewWeight * P.particle_phase, r.damage);
    m.objects.push_back(r.o);
  }
  // Free debris: small dense blobs that touch no particle (a touched particle would need a not-to-pick label).
  for (int i = 0; i < P.debris; ++i) {
    const double radius = rng.uniform(6, 30);
    const double x = rng.uniform(0, N - 1), y = rng.uniform(0, N - 1);
    bool clear = true;
    for (const Disc& d : placer.discs) clear = clear && std::hypot(x - d.x, y - d.y) > d.r + 1.5 * radius + 6;
    if (clear) render_blob(phi, N, x, y, radius, rng.uniform(2, 5) * P.particle_phase, rng);
  }
  // Carbon film: extra phase (thicker amorphous layer) with a soft edge.
  std::vector<float> carbon_mask(carbon.present ? size_t(N) * N : 0);
  if (carbon.present)
    for (int y = 0; y < N; ++y)
      for (int x = 0; x < N; ++x) {
        const float c = float(1.0 / (1.0 + std::exp(-carbon.signed_distance(x, y) / 1.5)));
        carbon_mask[size_t(y) * N + x] = c;
        phi[size_t(y) * N + x] += float(2 * P.particle_phase) * c;
      }

  // Weak-phase image through the CTF, on a power-of-two grid (zero-padded when N is not one).
  const size_t F = next_power_of_two(size_t(N));
  std::vector<std::complex<double>> spec(F * F, {0.0, 0.0});
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x) spec[size_t(y) * F + x] = phi[size_t(y) * N + x];
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

  // Amplitude terms and shot noise. Ice gradient: linear ramp of transmitted intensity along a random direction.
  const double ga = rng.uniform(0, 2 * M_PI), gx = std::cos(ga), gy = std::sin(ga);
  m.mean_counts = P.dose_e_per_A2 * P.pixel_A * P.pixel_A;
  m.counts.resize(size_t(N) * N);
  for (int y = 0; y < N; ++y)
    for (int x = 0; x < N; ++x) {
      const size_t i = size_t(y) * N + x;
      const double ramp = ((x - N / 2.0) * gx + (y - N / 2.0) * gy) / N;  // in [-0.71, 0.71]
      double intensity = (1.0 + spec[size_t(y) * F + x].real()) * (1.0 - P.ice_gradient * ramp);
      if (carbon.present) intensity *= 1.0 - 0.04 * carbon_mask[i];
      m.counts[i] = float(rng.poisson(std::max(0.0, m.mean_counts * intensity)));
    }
  blur_detector_psf(m.counts, N, P.detector_psf_px);
  return m;
}

std::vector<uint8_t> SimulatedMicrograph::to_grey() const {
  // The real KLH PNG has mean ~84 of 255; the same linear scale makes shot noise look alike.
  std::vector<uint8_t> out(counts.size());
  const double scale = 85.0 / mean_counts;
  for (size_t i = 0; i < counts.size(); ++i) out[i] = uint8_t(std::clamp(std::lround(counts[i] * scale), 0L, 255L));
  return out;
}

MicrographPicks SimulatedMicrograph::truth(const std::string& name) const {
  MicrographPicks mic;
  mic.micrograph = name;
  mic.width = mic.height = size;
  for (const SimObject& o : objects)
    if (o.pick()) mic.picks.push_back(o.box);
  return mic;
}

void write_simulated(const std::string& dir, const std::string& name, const SimulatedMicrograph& m) {
  std::filesystem::create_directories(dir);
  const std::string base = (std::filesystem::path(dir) / name).string();
  write_grey_png(base + ".png", m.size, m.size, m.to_grey());
  const MicrographPicks truth = m.truth(name + ".png");
  write_yolo_txt(base + ".txt", truth, false);
  write_star_coordinates(base + ".star", truth);
  std::string csv = "x,y,w,h,class,angle_deg,length_px,kind,pick\n";
  for (const SimObject& o : m.objects)
    csv += fmt(o.box.x, 3) + "," + fmt(o.box.y, 3) + "," + fmt(o.box.w, 3) + "," + fmt(o.box.h, 3) + "," +
           std::to_string(o.box.cls) + "," + fmt(o.angle_rad * 180 / M_PI, 2) + "," + fmt(o.length_px, 2) + "," +
           object_kind_name(o.kind) + "," + (o.pick() ? "1" : "0") + "\n";
  write_text_file_atomic(base + "_labels.csv", csv);
}

}  // namespace yp::picker
