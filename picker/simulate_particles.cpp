// simulate_particles.cpp: the projected densities of KLH views, debris blobs, and the simulator's RNG.
//
// KLH is a hollow cylinder (decamer ~35 nm across, ~40 nm long) with an internal collar at one end.
//   top view  (looking down the axis): the whole wall projects onto a ring of thickness `wall`, modulated
//             10-fold (the ten subunits); the collar shows as a fainter inner ring with 5-fold lumps.
//   side view (axis in the plane): the projected chord through a cylindrical shell,
//             c(u) = 2 (sqrt(Ro^2 - u^2) - sqrt(max(0, Ri^2 - u^2))),  normalised to peak 1,
//             is brightest just inside the outer edge (the two "walls"); multiplied by the tier pattern along
//             the axis (6 tiers per decamer) and a finer lattice across, which together give the checkered
//             look of the real images.
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
  return {350.0 / pixel_A, 400.0 / pixel_A, 35.0 / pixel_A};  // 35 nm, 40 nm, 3.5 nm wall
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

void render_top_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale,
                     double damage_angle) {
  const double ro = g.diameter_px / 2, ri = ro - g.wall_px, rc = 0.5 * ro, soft = 1.2;
  for_pixels_near(size, o.box.x, o.box.y, ro + 4, [&](int x, int y, double dx, double dy) {
    const double r = std::hypot(dx, dy);
    const double a = std::atan2(dy, dx) - o.angle_rad;
    const double wall = sigmoid((ro - r) / soft) * sigmoid((r - ri) / soft) * (1.0 + 0.18 * std::cos(10 * a));
    const double collar = 0.45 * std::exp(-0.5 * std::pow((r - rc) / (0.09 * ro), 2)) * (1.0 + 0.5 * std::cos(5 * a));
    const double lumen = 0.10 * sigmoid((ri - r) / soft);
    double d = wall + collar + lumen;
    if (damage_angle >= 0) d *= sigmoid((std::fabs(wrap_angle(a - damage_angle)) - 0.7) / 0.08);  // missing sector
    phi[size_t(y) * size + x] += float(scale * d);
  });
}

void render_side_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale,
                      double damage_cut) {
  const double ro = g.diameter_px / 2, ri = ro - g.wall_px, half_len = o.length_px / 2, soft = 1.2;
  const double peak = 2.0 * std::sqrt(ro * ro - ri * ri);
  const double tier = g.length_px / 6.0;
  const double cs = std::cos(o.angle_rad), sn = std::sin(o.angle_rad);
  for_pixels_near(size, o.box.x, o.box.y, std::hypot(ro, half_len) + 4, [&](int x, int y, double dx, double dy) {
    const double u = dx * cs + dy * sn;    // across the cylinder
    const double v = -dx * sn + dy * cs;   // along its axis
    if (std::fabs(u) > ro + 3 || std::fabs(v) > half_len + 4) return;
    const double chord = 2.0 * (std::sqrt(std::max(0.0, ro * ro - u * u)) - std::sqrt(std::max(0.0, ri * ri - u * u))) / peak;
    const double bands = 0.40 + 0.60 * std::pow(0.5 + 0.5 * std::cos(2 * M_PI * (v + half_len) / tier), 1.5);
    const double lattice = 0.70 + 0.30 * std::cos(2 * M_PI * u / 32.0);
    const double ends = sigmoid((half_len - std::fabs(v)) / soft) * sigmoid((ro + 0.5 - std::fabs(u)) / soft);
    const double vc = v - (half_len - 0.12 * g.length_px);  // collar inside the "top" end
    const double collar = 0.35 * std::exp(-0.5 * std::pow(vc / (0.05 * g.length_px), 2)) * sigmoid((ri * 0.85 - std::fabs(u)) / soft);
    // The outermost tier of each decamer is denser (the real side views read as a box with dark ends), and the
    // front and back walls keep the tier pattern visible between the two side walls.
    const double cap = 0.45 * std::exp(-0.5 * std::pow((half_len - std::fabs(v) - 0.05 * g.length_px) / (0.035 * g.length_px), 2));
    const double wall = 0.35 + 0.65 * std::min(1.0, chord);
    double d = (wall * bands * lattice + cap + collar) * ends;
    if (damage_cut >= 0) d *= sigmoid((0.35 * ro - (u * std::cos(damage_cut) + v * std::sin(damage_cut))) / 1.5);
    phi[size_t(y) * size + x] += float(scale * d);
  });
}

void render_blob(std::vector<float>& phi, int size, double cx, double cy, double radius, double scale, SimRng& rng) {
  const int parts = 3 + int(rng.uniform() * 5);
  for (int i = 0; i < parts; ++i) {
    const double a = rng.uniform(0, 2 * M_PI), r = rng.uniform(0, 0.6) * radius;
    const double px = cx + r * std::cos(a), py = cy + r * std::sin(a);
    const double sigma = rng.uniform(0.15, 0.4) * radius, amp = scale * rng.uniform(0.5, 1.0);
    for_pixels_near(size, px, py, 3 * sigma, [&](int x, int y, double dx, double dy) {
      phi[size_t(y) * size + x] += float(amp * std::exp(-0.5 * (dx * dx + dy * dy) / (sigma * sigma)));
    });
  }
}

}  // namespace yp::picker
