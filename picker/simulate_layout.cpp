// simulate_layout.cpp: where every object of a simulated micrograph goes, and how it is labelled
// (simulate.h, stage 1; the catalogue and the rules are in docs/picking.md#3-the-micrograph-simulator).
//
// Objects never overlap unless their kind says so. Each object is covered by convex footprints (circles, or
// oriented rectangles for side views); two convex shapes with centres c1, c2 are apart by at least `gap` when
//   |c2 - c1| >= h1(d) + h2(-d) + gap,   d = (c2 - c1) / |c2 - c1|,
// with h(d) = max over the shape of (p - c) . d, the support function (r for a circle, a|d.u| + b|d.v| for a
// rectangle of half sizes a, b along u, v): the line through the gap perpendicular to d separates them. The
// test is sufficient, not necessary, so it refuses a few layouts that would fit; it lets rectangles touch
// side by side with a halo between them, as real side views do.
#include <algorithm>
#include <cmath>

#include "picker/simulate.h"

namespace yp::picker {

namespace {

struct Footprint {
  double x, y;
  double a, b;     // circle: radius a (b = a); rectangle: half width a (across the axis), half length b
  double angle;    // rectangle: axis direction, as SimObject::angle_rad
  bool rect;
  int group;
  double support(double dx, double dy) const {  // (dx, dy) a unit vector
    if (!rect) return a;
    const double c = std::cos(angle), s = std::sin(angle);
    return a * std::fabs(dx * c + dy * s) + b * std::fabs(-dx * s + dy * c);
  }
};

bool apart(const Footprint& p, const Footprint& q, double gap) {
  const double dx = q.x - p.x, dy = q.y - p.y, d = std::hypot(dx, dy);
  if (d < 1e-9) return false;
  return d >= p.support(dx / d, dy / d) + q.support(-dx / d, -dy / d) + gap;
}

class Layout {
 public:
  Layout(const SimulationParams& p, const KlhGeometry& g, SimRng& rng) : P(p), g(g), rng(rng), N(p.size) {}

  SimLayout run();

 private:
  const SimulationParams& P;
  const KlhGeometry& g;
  SimRng& rng;
  const int N;
  SimLayout out;
  std::vector<Footprint> placed;
  int next_group = 0;

  double scale_jitter() { return 1.0 + rng.uniform(-0.03, 0.03); }
  double contrast_jitter() { return std::max(0.3, 1.0 + P.contrast_jitter * rng.normal()); }

  // A particle view centred at (x, y): top (cls 0) or side (cls 1), its size, box and footprint.
  SimObject view(double x, double y, int cls, double angle, double length_factor, ObjectKind kind, LabelRule rule) {
    SimObject o;
    o.box.x = x;
    o.box.y = y;
    o.box.cls = cls;
    o.angle_rad = angle;
    o.kind = kind;
    o.rule = rule;
    o.contrast = contrast_jitter();
    o.lattice_shift = rng.uniform(0, 30);
    o.texture_seed = rng.next();
    const double s = scale_jitter();
    if (cls == 0) {
      o.radius_px = s * g.diameter_px / 2;
      o.box.w = o.box.h = 2 * o.radius_px;
    } else {
      o.radius_px = s * g.width_px / 2;
      o.length_px = s * g.length_px * length_factor;
      const auto [w, h] = rotated_box_size(2 * o.radius_px, o.length_px, angle);
      o.box.w = w;
      o.box.h = h;
    }
    return o;
  }
  // A dense lump (debris or ice) not to pick.
  static SimObject lump(ObjectKind kind, double x, double y, double radius, double contrast) {
    SimObject o;
    o.kind = kind;
    o.rule = LabelRule::Exclude;
    o.box.x = x;
    o.box.y = y;
    o.radius_px = radius;
    o.box.w = o.box.h = 2 * radius;
    o.contrast = contrast;
    return o;
  }
  SimObject random_view(double x, double y, ObjectKind kind, LabelRule rule) {
    const int cls = rng.uniform() < P.side_fraction ? 1 : 0;
    return view(x, y, cls, rng.uniform(0, 2 * M_PI), 1.0, kind, rule);
  }
  static Footprint footprint(const SimObject& o, int group) {
    const double r = object_reach(o);
    if (o.box.cls == 1 && o.length_px > 0) return {o.box.x, o.box.y, r, o.length_px / 2, o.angle_rad, true, group};
    return {o.box.x, o.box.y, r, r, 0, false, group};
  }

  // Whether footprints fit: apart from every placed footprint by `gap`, off the carbon, and (when `inside`)
  // wholly inside the image with a 2-px margin.
  bool fits(const std::vector<Footprint>& fs, double gap, bool inside) const {
    for (const Footprint& f : fs) {
      if (inside && (f.x - f.support(-1, 0) < 2 || f.x + f.support(1, 0) > N - 3 || f.y - f.support(0, -1) < 2 ||
                     f.y + f.support(0, 1) > N - 3))
        return false;
      if (out.carbon.present) {
        const double reach = std::max(f.a, f.b) * (f.rect ? std::sqrt(2.0) : 1.0);
        if (out.carbon.signed_distance(f.x, f.y) > -reach - gap) return false;
      }
      for (const Footprint& q : placed)
        if (!apart(f, q, gap)) return false;
    }
    return true;
  }

  void commit(std::vector<SimObject> objs, const std::vector<Footprint>& fs) {
    placed.insert(placed.end(), fs.begin(), fs.end());
    for (SimObject& o : objs) out.objects.push_back(std::move(o));
    ++next_group;
  }

  // Tries random centres for a group made by make(x, y) until it fits; returns false when there is no room.
  template <class Make>
  bool place(Make make, double gap, bool inside, int attempts = 200) {
    for (int a = 0; a < attempts; ++a) {
      std::vector<SimObject> objs = make(rng.uniform(0, N - 1), rng.uniform(0, N - 1));
      if (objs.empty()) continue;
      std::vector<Footprint> fs;
      for (const SimObject& o : objs)
        if (o.kind == ObjectKind::Filament)
          for (const auto& [x, y] : o.path) fs.push_back({x, y, o.radius_px, o.radius_px, 0, false, next_group});
        else
          fs.push_back(footprint(o, next_group));
      if (!fits(fs, gap, inside)) continue;
      commit(std::move(objs), fs);
      return true;
    }
    return false;
  }

  void carbon_edge();
  void filaments();
  void ice();
  void groups();
  void border_cut();
  void clean_particles();
  void debris();
};

// Share of a particle's area outside the image and the centroid of the part inside (2-px sampling).
std::pair<double, std::pair<double, double>> cut_by_border(const SimObject& o, int n) {
  const double c = std::cos(o.angle_rad), s = std::sin(o.angle_rad);
  const double reach = o.box.cls == 0 ? o.radius_px : std::hypot(o.radius_px, o.length_px / 2);
  int in = 0, total = 0;
  double sx = 0, sy = 0;
  for (double dy = -reach; dy <= reach; dy += 2)
    for (double dx = -reach; dx <= reach; dx += 2) {
      const bool covered = o.box.cls == 0
                               ? std::hypot(dx, dy) <= o.radius_px
                               : std::fabs(dx * c + dy * s) <= o.radius_px && std::fabs(-dx * s + dy * c) <= o.length_px / 2;
      if (!covered) continue;
      ++total;
      const double x = o.box.x + dx, y = o.box.y + dy;
      if (x < -0.5 || y < -0.5 || x > n - 0.5 || y > n - 0.5) continue;
      ++in;
      sx += x;
      sy += y;
    }
  const double frac_out = total ? 1.0 - double(in) / total : 0.0;
  return {frac_out, in ? std::make_pair(sx / in, sy / in) : std::make_pair(o.box.x, o.box.y)};
}

// The box clipped to the image (edges at -0.5 and n - 0.5 in pixel-centre coordinates).
void clip_box(Pick& b, int n) {
  const double x0 = std::max(-0.5, b.x - b.w / 2), x1 = std::min(n - 0.5, b.x + b.w / 2);
  const double y0 = std::max(-0.5, b.y - b.h / 2), y1 = std::min(n - 0.5, b.y + b.h / 2);
  b.x = (x0 + x1) / 2;
  b.y = (y0 + y1) / 2;
  b.w = x1 - x0;
  b.h = y1 - y0;
}

void Layout::carbon_edge() {
  if (rng.uniform() >= P.carbon_probability) return;
  const double a = rng.uniform(0, 2 * M_PI);
  out.carbon = {true, std::cos(a), std::sin(a), N * rng.uniform(0.32, 0.45), N * 0.012, N * 0.35, rng.uniform(0, 2 * M_PI),
                N / 2.0, N / 2.0};
  SimObject edge;
  edge.kind = ObjectKind::CarbonEdge;
  edge.rule = LabelRule::Exclude;
  // Points on the edge inside the image: walk along the edge's direction from the foot of the centre.
  const CarbonEdge& e = out.carbon;
  for (double t = -1.5 * N; t <= 1.5 * N; t += 4) {
    // The wavy edge: start on the straight line and step along the normal to the zero of signed_distance.
    double x = e.cx + e.nx * e.offset - e.ny * t, y = e.cy + e.ny * e.offset + e.nx * t;
    for (int it = 0; it < 4; ++it) {
      const double d = e.signed_distance(x, y);
      x -= d * e.nx;
      y -= d * e.ny;
    }
    if (x >= 0 && y >= 0 && x <= N - 1 && y <= N - 1) edge.path.emplace_back(x, y);
  }
  if (edge.path.empty()) return;
  edge.box.x = edge.path[edge.path.size() / 2].first;
  edge.box.y = edge.path[edge.path.size() / 2].second;
  out.objects.push_back(edge);
}

void Layout::filaments() {
  for (int i = 0; i < P.filaments; ++i)
    place(
        [&](double x, double y) {
          SimObject f;
          f.kind = ObjectKind::Filament;
          f.rule = LabelRule::Exclude;
          f.radius_px = rng.uniform(16, 28);
          f.contrast = contrast_jitter();
          // A gentle arc: start at (x, y), heading a, curvature k, length len; a point every 16 px.
          const double len = rng.uniform(0.3, 1.2) * N, a = rng.uniform(0, 2 * M_PI), k = rng.uniform(-1, 1) / N;
          double px = x, py = y, h = a;
          for (double s = 0; s <= len; s += 16) {
            f.path.emplace_back(px, py);
            px += 16 * std::cos(h);
            py += 16 * std::sin(h);
            h += 16 * k;
          }
          f.box.x = f.path[f.path.size() / 2].first;
          f.box.y = f.path[f.path.size() / 2].second;
          f.angle_rad = a;
          return std::vector<SimObject>{f};
        },
        P.min_gap_px, false);
}

void Layout::ice() {
  for (int i = 0; i < P.ice; ++i)
    place(
        [&](double x, double y) {
          return std::vector<SimObject>{lump(ObjectKind::Ice, x, y, rng.uniform(0.25, 0.8) * g.diameter_px, 1.0)};
        },
        P.min_gap_px, true);
}

void Layout::groups() {
  const double D = g.diameter_px;
  for (int i = 0; i < P.aggregates; ++i)
    place(
        [&](double x, double y) {
          std::vector<SimObject> members{random_view(x, y, ObjectKind::Aggregate, LabelRule::Exclude)};
          const int n = 3 + int(rng.uniform() * 2);
          for (int tries = 0; int(members.size()) < n && tries < 50; ++tries) {
            const SimObject& base = members[size_t(rng.uniform() * members.size())];
            const double a = rng.uniform(0, 2 * M_PI), d = rng.uniform(0.55, 0.85) * D;
            members.push_back(random_view(base.box.x + d * std::cos(a), base.box.y + d * std::sin(a), ObjectKind::Aggregate,
                                          LabelRule::Exclude));
          }
          return members;
        },
        P.min_gap_px, true);
  for (int i = 0; i < P.overlapping_pairs; ++i)
    place(
        [&](double x, double y) {
          const double sep = rng.uniform(0.45, 0.75) * D, a = rng.uniform(0, 2 * M_PI);
          std::vector<SimObject> pair;
          for (int s : {-1, 1})
            pair.push_back(random_view(x + s * sep / 2 * std::cos(a), y + s * sep / 2 * std::sin(a), ObjectKind::Overlapping,
                                       LabelRule::Exclude));
          return pair;
        },
        P.min_gap_px, true);
  for (int i = 0; i < P.stacked; ++i)
    place(
        [&](double x, double y) {
          const double factor = rng.uniform() < 0.7 ? 2.0 : 3.0;
          return std::vector<SimObject>{view(x, y, 1, rng.uniform(0, 2 * M_PI), factor, ObjectKind::Stacked, LabelRule::Exclude)};
        },
        P.min_gap_px, true);
  for (int i = 0; i < P.elongated; ++i)
    place(
        [&](double x, double y) {
          return std::vector<SimObject>{
              view(x, y, 1, rng.uniform(0, 2 * M_PI), rng.uniform(1.55, 1.95), ObjectKind::Elongated, LabelRule::Exclude)};
        },
        P.min_gap_px, true);
  for (int i = 0; i < P.under_debris; ++i)
    place(
        [&](double x, double y) {
          SimObject p = random_view(x, y, ObjectKind::UnderDebris, LabelRule::Exclude);
          const double a = rng.uniform(0, 2 * M_PI), d = rng.uniform(0, 0.3) * D;
          const double r = rng.uniform(0.25, 0.45) * D;
          return std::vector<SimObject>{p, lump(ObjectKind::Debris, x + d * std::cos(a), y + d * std::sin(a), r, rng.uniform(0.8, 1.4))};
        },
        P.min_gap_px, true);
  for (int i = 0; i < P.broken; ++i)
    place(
        [&](double x, double y) {
          SimObject o = random_view(x, y, ObjectKind::Broken, LabelRule::Exclude);
          o.damage = rng.uniform(0, 2 * M_PI);
          o.damage_width = rng.uniform(0.52, 1.31);  // 60-150 degrees missing (rings); side views lose a corner
          return std::vector<SimObject>{o};
        },
        P.min_gap_px, true);
  for (int i = 0; i < P.ambiguous; ++i)
    place(
        [&](double x, double y) {
          if (rng.uniform() < 0.5) {
            SimObject o = random_view(x, y, ObjectKind::Faint, LabelRule::Uncertain);
            o.contrast = rng.uniform(0.3, 0.5);
            return std::vector<SimObject>{o};
          }
          SimObject o = view(x, y, 0, rng.uniform(0, 2 * M_PI), 1.0, ObjectKind::Chipped, LabelRule::Uncertain);
          o.damage = rng.uniform(0, 2 * M_PI);
          o.damage_width = rng.uniform(0.22, 0.39);  // 25-45 degrees
          return std::vector<SimObject>{o};
        },
        P.min_gap_px, true);
}

void Layout::border_cut() {
  for (int i = 0; i < P.border_cut; ++i)
    place(
        [&](double x, double y) {
          SimObject o = random_view(x, y, ObjectKind::BorderCut, LabelRule::Exclude);
          // Move the centre next to one border: from 20 % of the shape outside to 85 % of it inside.
          const int side = int(rng.uniform() * 4);
          const double dir[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
          const Footprint f = footprint(o, 0);
          const double reach = f.support(dir[side][0], dir[side][1]);
          const double inside = rng.uniform(-0.2, 0.85) * reach;
          if (side == 0) o.box.x = inside;
          if (side == 1) o.box.x = N - 1 - inside;
          if (side == 2) o.box.y = inside;
          if (side == 3) o.box.y = N - 1 - inside;
          const auto [cut, visible] = cut_by_border(o, N);
          o.cut_fraction = cut;
          if (cut <= 0.25) {
            o.kind = ObjectKind::Particle;
            o.rule = LabelRule::Pick;
            clip_box(o.box, N);
          } else if (cut <= 0.35) {
            o.rule = LabelRule::Uncertain;
          }
          if (o.rule != LabelRule::Pick) {  // the marks sit on the visible part, as in the real labels
            o.path = {visible};
          }
          return std::vector<SimObject>{o};
        },
        P.min_gap_px, false);
}

void Layout::clean_particles() {
  std::vector<size_t> clean;  // indices into out.objects of clean particles placed so far
  for (int i = 0; i < P.particles; ++i) {
    bool ok = false;
    if (!clean.empty() && rng.uniform() < P.touching_fraction) {
      // Touching: beside a clean particle, the halo (gap) between them and nothing closer.
      for (int a = 0; a < 30 && !ok; ++a) {
        const SimObject& base = out.objects[clean[size_t(rng.uniform() * clean.size())]];
        SimObject o = random_view(0, 0, ObjectKind::Particle, LabelRule::Pick);
        const double t = rng.uniform(0, 2 * M_PI), dx = std::cos(t), dy = std::sin(t);
        const double gap = P.min_gap_px + rng.uniform(0, 6);
        const double d = footprint(base, 0).support(dx, dy) + footprint(o, 0).support(-dx, -dy) + gap;
        o.box.x = base.box.x + d * dx;
        o.box.y = base.box.y + d * dy;
        const std::vector<Footprint> fs{footprint(o, next_group)};
        if (!fits(fs, P.min_gap_px, true)) continue;
        commit({o}, fs);
        ok = true;
      }
    }
    if (!ok) ok = place([&](double x, double y) { return std::vector<SimObject>{random_view(x, y, ObjectKind::Particle, LabelRule::Pick)}; },
                        P.min_gap_px, true);
    if (ok) clean.push_back(out.objects.size() - 1);
  }
}

void Layout::debris() {
  for (int i = 0; i < P.debris; ++i)
    place(
        [&](double x, double y) {
          const double r = 20 + 40 * std::pow(rng.uniform(), 1.5);  // mostly small, some particle-sized
          return std::vector<SimObject>{lump(ObjectKind::Debris, x, y, r, rng.uniform(0.6, 1.4))};
        },
        P.min_gap_px, true);
}

SimLayout Layout::run() {
  carbon_edge();
  filaments();
  ice();
  groups();
  border_cut();
  clean_particles();
  debris();
  return std::move(out);
}

}  // namespace

SimLayout layout_micrograph(const SimulationParams& params, const KlhGeometry& g, SimRng& rng) {
  return Layout(params, g, rng).run();
}

}  // namespace yp::picker
