// simulate_particles.cpp: the projected densities of every simulated object (KLH views, debris, ice, filaments),
// and the simulator's RNG (simulate.h, stage 2).
//
// KLH is a hollow cylinder with an internal collar at one end (sizes: KlhGeometry).
//   top view  (looking down the axis): the whole wall projects onto a ring of thickness `wall`, modulated
//             10-fold (the ten subunits); the collar shows as a fainter inner ring with 5-fold lumps.
//   side view (axis in the plane): the projected chord through a cylindrical shell,
//             c(u) = 2 (sqrt(Ro^2 - u^2) - sqrt(max(0, Ri^2 - u^2))),  normalised to peak 1,
//             is largest just inside the outer edge (the two "walls"); multiplied by the tier pattern along
//             the axis (6 tiers per didecamer) and a lattice across, which give the dotted look of the real
//             images; the outermost tier at each end is denser (the real side views read as a box).
//   debris, ice  a union of sharp-edged discs, dense, that also absorbs (amplitude);
//   filament  a rod with a narrow lumen along a path (the same chord profile), with a periodic stripe.
// Densities are in arbitrary units with peak ~1 and scaled by the caller into radians of phase.
#include <algorithm>
#include <cmath>

#include "picker/simulate.h"

namespace yp::picker {

uint64_t SimRng::next() {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SimRng::uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
double SimRng::uniform(double a, double b) { return a + (b - a) * uniform(); }

double SimRng::normal() {
  const double u1 = 1.0 - uniform(), u2 = uniform();  // u1 in (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double SimRng::poisson(double mean) {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const double limit = std::exp(-mean);
    double p = uniform();
    int k = 0;
    while (p > limit) {
      p *= uniform();
      ++k;
    }
    return k;
  }
  return std::max(0.0, std::round(mean + std::sqrt(mean) * normal()));
}

KlhGeometry KlhGeometry::from_pixel_size(double pixel_A) {
  // 32.1 nm ring, 30.1 x 35.6 nm side view, 4.4 nm wall: 146, 137, 162 and 20 px at 2.2 A/px (the real rings'
  // dark walls are ~20 px thick).
  return {321.0 / pixel_A, 301.0 / pixel_A, 356.0 / pixel_A, 44.0 / pixel_A};
}

double object_reach(const SimObject& o) {
  return o.kind == ObjectKind::Debris || o.kind == ObjectKind::Ice ? 1.1 * o.radius_px : o.radius_px;
}

std::pair<double, double> rotated_box_size(double w, double h, double angle) {
  const double c = std::fabs(std::cos(angle)), s = std::fabs(std::sin(angle));
  return {w * c + h * s, w * s + h * c};
}

static double sigmoid(double t) { return 1.0 / (1.0 + std::exp(-t)); }

static double wrap_angle(double a) { return std::remainder(a, 2.0 * M_PI); }

// Calls f(x, y, dx, dy) for every pixel within `radius` of the centre and inside the image.
template <class F>
static void for_pixels_near(int size, double cx, double cy, double radius, F f) {
  const int x0 = std::max(0, int(std::floor(cx - radius))), x1 = std::min(size - 1, int(std::ceil(cx + radius)));
  const int y0 = std::max(0, int(std::floor(cy - radius))), y1 = std::min(size - 1, int(std::ceil(cy + radius)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) f(x, y, x - cx, y - cy);
}

// A particle's own irregularity: no two real KLH particles look alike (subunits vary, the ice around them
// varies), so a smooth random texture with unit variance, the sum of five plane waves of 14-40 px wavelength
// in random directions, scales each particle's density by 1 + amplitude t: 0.25 for side views, 0.10 for rings
// (whose walls look even in the real images).
namespace {
struct Irregularity {
  double kx[5], ky[5], phase[5], amplitude;
  Irregularity(uint64_t seed, double amplitude) : amplitude(amplitude) {
    SimRng rng(seed);
    for (int i = 0; i < 5; ++i) {
      const double a = rng.uniform(0, 2 * M_PI), k = 2 * M_PI / rng.uniform(14, 40);
      kx[i] = k * std::cos(a);
      ky[i] = k * std::sin(a);
      phase[i] = rng.uniform(0, 2 * M_PI);
    }
  }
  double factor(double dx, double dy) const {
    double t = 0;
    for (int i = 0; i < 5; ++i) t += std::cos(kx[i] * dx + ky[i] * dy + phase[i]);
    return std::max(0.0, 1.0 + amplitude * t * std::sqrt(2.0 / 5.0));
  }
};
}  // namespace

void render_top_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale) {
  const double ro = o.radius_px, s = ro / (g.diameter_px / 2), ri = ro - s * g.wall_px, rc = 0.52 * ro, soft = 1.2;
  const Irregularity irregular(o.texture_seed, 0.10);
  for_pixels_near(size, o.box.x, o.box.y, ro + 4, [&](int x, int y, double dx, double dy) {
    const double r = std::hypot(dx, dy);
    const double a = std::atan2(dy, dx) - o.angle_rad;
    const double wall = sigmoid((ro - r) / soft) * sigmoid((r - ri) / soft) * (1.0 + 0.10 * std::cos(10 * a));
    const double collar = 0.30 * std::exp(-0.5 * std::pow((r - rc) / (0.09 * ro), 2)) * (1.0 + 0.6 * std::cos(5 * a));
    const double lumen = 0.10 * sigmoid((ri - r) / soft);
    double d = wall + collar + lumen;
    if (o.damage >= 0) d *= sigmoid((std::fabs(wrap_angle(a - o.damage)) - o.damage_width) / 0.08);  // missing sector
    phi[size_t(y) * size + x] += float(scale * d * irregular.factor(dx, dy));
  });
}

void render_side_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale) {
  const double ro = o.radius_px, s = ro / (g.width_px / 2), ri = ro - s * g.wall_px, half_len = o.length_px / 2, soft = 1.2;
  const double unit = s * g.length_px;  // one didecamer: tiers and caps repeat with it along tubes
  const double peak = 2.0 * std::sqrt(ro * ro - ri * ri);
  const double tier = unit / 6.0, lattice = 2 * ro / 5.0;
  const double cs = std::cos(o.angle_rad), sn = std::sin(o.angle_rad);
  const Irregularity irregular(o.texture_seed, 0.25);
  for_pixels_near(size, o.box.x, o.box.y, std::hypot(ro, half_len) + 4, [&](int x, int y, double dx, double dy) {
    const double u = dx * cs + dy * sn;    // across the cylinder
    const double v = -dx * sn + dy * cs;   // along its axis
    if (std::fabs(u) > ro + 3 || std::fabs(v) > half_len + 4) return;
    const double chord = 2.0 * (std::sqrt(std::max(0.0, ro * ro - u * u)) - std::sqrt(std::max(0.0, ri * ri - u * u))) / peak;
    // Subunits: a lattice of dots (tiers along the axis x a lattice across) in the middle, where the front and
    // back walls overlap; along the two side walls, seen edge-on, the tiers only modulate a continuous band.
    const double edge = sigmoid((std::fabs(u) - ri) / 3.0);
    const double tiers = std::pow(0.5 + 0.5 * std::cos(2 * M_PI * (v + half_len) / tier), 1.5);
    const double dots = tiers * std::pow(0.5 + 0.5 * std::cos(2 * M_PI * (u + o.lattice_shift) / lattice), 1.5);
    const double pattern = edge * (0.65 + 0.35 * tiers) + (1.0 - edge) * (0.30 + 0.70 * dots);
    const double ends = sigmoid((half_len - std::fabs(v)) / soft) * sigmoid((ro + 0.5 - std::fabs(u)) / soft);
    const double vc = v - (half_len - 0.12 * unit);  // collar inside the "top" end
    const double collar = 0.35 * std::exp(-0.5 * std::pow(vc / (0.05 * unit), 2)) * sigmoid((ri * 0.85 - std::fabs(u)) / soft);
    // The outermost tier of each end is denser, and the front and back walls keep the tiers visible between
    // the two side walls.
    const double cap = 0.5 * std::exp(-0.5 * std::pow((half_len - std::fabs(v) - 0.05 * unit) / (0.035 * unit), 2));
    const double wall = 0.35 + 0.65 * std::min(1.0, chord);
    double d = (wall * pattern + cap + collar) * ends;
    if (o.damage >= 0) d *= sigmoid((0.35 * ro - (u * std::cos(o.damage) + v * std::sin(o.damage))) / 1.5);  // corner gone
    phi[size_t(y) * size + x] += float(scale * d * irregular.factor(dx, dy));
  });
}

// Dense debris and ice contamination: 3-6 overlapping sharp-edged discs (centres within 0.55 R, radii up to
// 0.55 R, so nothing reaches past 1.1 R): a dense phase object with a hard edge that also absorbs. The real
// images' dark blobs have exactly that look: a sharp boundary, a bright Fresnel rim, a mottled dark inside.
static void render_lumps(std::vector<float>& phi, std::vector<float>& absorption, int size, const SimObject& o,
                         double scale, double absorb, SimRng& rng) {
  const int parts = 3 + int(rng.uniform() * 4);
  for (int i = 0; i < parts; ++i) {
    const double a = rng.uniform(0, 2 * M_PI), r = rng.uniform(0, 0.55) * o.radius_px;
    const double px = o.box.x + r * std::cos(a), py = o.box.y + r * std::sin(a), rad = rng.uniform(0.3, 0.55) * o.radius_px;
    for_pixels_near(size, px, py, rad + 4, [&](int x, int y, double dx, double dy) {
      const size_t k = size_t(y) * size + x;
      const float cover = float(sigmoid((rad - std::hypot(dx, dy)) / 1.0));
      // The union of the discs: the largest coverage seen at a pixel sets its phase and its transmission.
      const float t = float(1.0 - absorb * cover);
      if (t < absorption[k]) {
        phi[k] += float(scale) * (absorption[k] - t) / float(absorb);
        absorption[k] = t;
      }
    });
  }
}

// A filament: a rod of radius o.radius_px along o.path (projected thickness sqrt(R^2 - d^2), a narrow lumen
// inside), with a stripe every ~12 px along it: the dark banded filaments of the real images.
static void render_filament(std::vector<float>& phi, int size, const SimObject& o, double scale) {
  const double R = o.radius_px, Ri = 0.3 * R, peak = 2.0 * std::sqrt(R * R - Ri * Ri), period = 12.0;
  double s0 = 0;  // arc length at the start of each segment
  for (size_t i = 0; i + 1 < o.path.size(); ++i) {
    // Plain names, not structured bindings: C++17 lambdas cannot capture those (clang refuses; the fuzz build).
    const double ax = o.path[i].first, ay = o.path[i].second, bx = o.path[i + 1].first, by = o.path[i + 1].second;
    const double len = std::hypot(bx - ax, by - ay), tx = (bx - ax) / len, ty = (by - ay) / len;
    // Each pixel belongs to the segment its projection falls on (half-open), so joints are drawn once.
    for_pixels_near(size, (ax + bx) / 2, (ay + by) / 2, len / 2 + R + 2, [&](int x, int y, double, double) {
      const double px = x - ax, py = y - ay, t = px * tx + py * ty;
      if (t < 0 || t >= len) return;
      const double d = std::fabs(-px * ty + py * tx);
      if (d > R + 1.5) return;
      const double chord = 2.0 * (std::sqrt(std::max(0.0, R * R - d * d)) - std::sqrt(std::max(0.0, Ri * Ri - d * d))) / peak;
      const double stripe = 0.7 + 0.3 * std::cos(2 * M_PI * (s0 + t) / period);
      phi[size_t(y) * size + x] += float(scale * (0.3 + 0.7 * std::min(1.0, chord)) * stripe * sigmoid((R - d) / 1.0));
    });
    s0 += len;
  }
}

void render_object(std::vector<float>& phi, std::vector<float>& absorption, int size, const SimObject& o,
                   const KlhGeometry& g, double phase, SimRng& rng) {
  // Weights of the two views against `phase`: a ring's wall is seen end-on along the whole cylinder length, a
  // side view's walls along a chord; set so that rings are the darkest particles, as in every real KLH image.
  constexpr double kTopViewWeight = 1.5, kSideViewWeight = 1.6;
  const double scale = phase * o.contrast;
  switch (o.kind) {
    case ObjectKind::CarbonEdge: return;  // part of the image formation (a film, not an object on it)
    case ObjectKind::Debris: return render_lumps(phi, absorption, size, o, 1.5 * scale, rng.uniform(0.03, 0.10), rng);
    case ObjectKind::Ice: return render_lumps(phi, absorption, size, o, 2 * scale, rng.uniform(0.08, 0.25), rng);
    case ObjectKind::Filament: return render_filament(phi, size, o, 1.5 * scale);
    default:
      if (o.box.cls == 0) return render_top_view(phi, size, o, g, kTopViewWeight * scale);
      return render_side_view(phi, size, o, g, kSideViewWeight * scale);
  }
}

}  // namespace yp::picker
