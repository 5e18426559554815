// simulate.cpp: one simulated micrograph from layout to pixels, its labels, and the simulator's output files
// (simulate.h; physics and choices in docs/picking.md#3-the-micrograph-simulator).
#include "picker/simulate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "imgproc/mrc.h"
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
    case ObjectKind::Broken: return "broken";
    case ObjectKind::Stacked: return "stacked";
    case ObjectKind::Elongated: return "elongated";
    case ObjectKind::BorderCut: return "border_cut";
    case ObjectKind::Debris: return "debris";
    case ObjectKind::Ice: return "ice";
    case ObjectKind::Filament: return "filament";
    case ObjectKind::CarbonEdge: return "carbon_edge";
    case ObjectKind::Faint: return "faint";
    case ObjectKind::Chipped: return "chipped";
  }
  return "?";
}

const char* label_rule_name(LabelRule r) {
  switch (r) {
    case LabelRule::Pick: return "pick";
    case LabelRule::Exclude: return "exclude";
    case LabelRule::Uncertain: return "uncertain";
  }
  return "?";
}

SimulatedMicrograph simulate_micrograph(const SimulationParams& P, int index) {
  if (P.size < 64 || P.size > 16384) throw Error("simulate: --size must be in [64, 16384]");
  if (P.pixel_A <= 0 || P.dose_e_per_A2 <= 0 || P.particle_phase <= 0)
    throw Error("simulate: pixel size, dose and phase must be positive");
  if (P.processed_probability < 0 || P.processed_probability > 1) throw Error("simulate: --processed must be in [0, 1]");
  const int N = P.size;
  const KlhGeometry g = KlhGeometry::from_pixel_size(P.pixel_A);
  // Hash seed and index separately: splitmix64 steps its state by a constant, so a plain "seed + index * step"
  // would make micrograph i+1 the sequence of micrograph i shifted by one draw.
  SimRng rng(SimRng(P.seed).next() ^ SimRng(0xC0FFEEull + static_cast<uint64_t>(index)).next());
  SimulatedMicrograph m;
  m.size = N;
  m.pixel_A = P.pixel_A;
  m.geometry = g;
  const SimLayout layout = layout_micrograph(P, g, rng);
  std::vector<float> phi(size_t(N) * N, 0.0f), absorption(size_t(N) * N, 1.0f);
  for (const SimObject& o : layout.objects) render_object(phi, absorption, N, o, g, P.particle_phase, rng);
  m.objects = layout.objects;
  m.counts = form_image(P, std::move(phi), absorption, layout.carbon, rng, &m.mean_counts);
  if (rng.uniform() < P.processed_probability) m.processed = processed_look(m.counts, N);
  return m;
}

std::vector<uint8_t> SimulatedMicrograph::to_grey() const {
  std::vector<uint8_t> out(counts.size());
  if (!processed.empty()) {
    for (size_t i = 0; i < processed.size(); ++i) out[i] = uint8_t(std::lround(255.0f * processed[i]));
    return out;
  }
  // The raw KLH PNG has mean ~84 of 255; the same linear scale makes shot noise look alike.
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

namespace {

std::string note_of(const SimObject& o, double normal_length) {
  const char* view = o.box.cls == 0 ? "ring" : "side view";
  char buf[96];
  switch (o.kind) {
    case ObjectKind::Broken:
      if (o.box.cls == 0) std::snprintf(buf, sizeof buf, "broken C-shaped ring (%.0f deg missing)", 2 * o.damage_width * 180 / M_PI);
      else std::snprintf(buf, sizeof buf, "damaged side view (corner missing)");
      return buf;
    case ObjectKind::Chipped:
      std::snprintf(buf, sizeof buf, "ring with a small gap (%.0f deg missing)", 2 * o.damage_width * 180 / M_PI);
      return buf;
    case ObjectKind::Stacked:
      std::snprintf(buf, sizeof buf, "multi decamer tube (%.1fx length)", o.length_px / normal_length);
      return buf;
    case ObjectKind::Elongated:
      std::snprintf(buf, sizeof buf, "elongated side view (%.2fx length)", o.length_px / normal_length);
      return buf;
    case ObjectKind::BorderCut:
      std::snprintf(buf, sizeof buf, "%s cut by border (%.0f %%)", view, 100 * o.cut_fraction);
      return buf;
    case ObjectKind::Faint:
      std::snprintf(buf, sizeof buf, "faint %s (%.0f %% contrast)", view, 100 * o.contrast);
      return buf;
    case ObjectKind::Overlapping: return std::string(view) + " overlapped by another particle";
    case ObjectKind::Aggregate: return std::string(view) + " in an aggregate";
    case ObjectKind::UnderDebris: return std::string(view) + " overlapped by debris blob";
    case ObjectKind::Debris:
      std::snprintf(buf, sizeof buf, "dense debris blob (r %.0f px)", o.radius_px);
      return buf;
    case ObjectKind::Ice: return "ice contamination";
    case ObjectKind::Filament: return "long filament";
    case ObjectKind::CarbonEdge: return "carbon edge";
    case ObjectKind::Particle: return view;
  }
  return "?";
}

}  // namespace

std::vector<MarkedPosition> SimulatedMicrograph::marked(LabelRule rule) const {
  std::vector<MarkedPosition> out;
  const double diameter = geometry.diameter_px, length = geometry.length_px;
  const double step = 0.8 * diameter;
  auto inside = [&](double x, double y) { return x >= 0 && y >= 0 && x <= size - 1 && y <= size - 1; };
  for (const SimObject& o : objects) {
    if (o.rule != rule) continue;
    const std::string note = note_of(o, length);
    if (!o.path.empty()) {  // filaments, carbon edges, border cuts: points along the visible part
      double since = step;
      for (size_t i = 0; i < o.path.size(); ++i) {
        if (i > 0) since += std::hypot(o.path[i].first - o.path[i - 1].first, o.path[i].second - o.path[i - 1].second);
        if (since < step || !inside(o.path[i].first, o.path[i].second)) continue;
        out.push_back({o.path[i].first, o.path[i].second, note});
        since = 0;
      }
    } else if (o.box.cls == 1 && o.length_px > 1.2 * length) {  // tubes: points along the axis
      const int n = std::max(1, int(std::lround(o.length_px / step)));
      for (int k = 0; k < n; ++k) {
        const double v = (k - (n - 1) / 2.0) * o.length_px / n;
        const double x = o.box.x - v * std::sin(o.angle_rad), y = o.box.y + v * std::cos(o.angle_rad);
        if (inside(x, y)) out.push_back({x, y, note});
      }
    } else if (inside(o.box.x, o.box.y)) {
      out.push_back({o.box.x, o.box.y, note});
    }
  }
  return out;
}

void write_simulated(const std::string& dir, const std::string& name, const SimulatedMicrograph& m,
                     SimImages images) {
  std::filesystem::create_directories(dir);
  const std::string base = (std::filesystem::path(dir) / name).string();
  if (images != SimImages::Png) {
    imgproc::Image mic(m.size, m.size);
    mic.data = m.processed.empty() ? m.counts : m.processed;
    imgproc::write_mrc(base + ".mrc", mic, m.pixel_A);
  }
  if (images != SimImages::Mrc) write_grey_png(base + ".png", m.size, m.size, m.to_grey());
  const MicrographPicks truth = m.truth(name + (images == SimImages::Png ? ".png" : ".mrc"));
  write_yolo_txt(base + ".txt", truth, false);
  write_star_coordinates(base + ".star", truth);
  write_marked_positions(base + ".excluded.txt", m.marked(LabelRule::Exclude));
  write_marked_positions(base + ".uncertain.txt", m.marked(LabelRule::Uncertain));
  std::string csv = "x,y,w,h,class,angle_deg,length_px,kind,pick,rule,cut_fraction,contrast\n";
  for (const SimObject& o : m.objects)
    csv += fmt(o.box.x, 3) + "," + fmt(o.box.y, 3) + "," + fmt(o.box.w, 3) + "," + fmt(o.box.h, 3) + "," +
           std::to_string(o.box.cls) + "," + fmt(o.angle_rad * 180 / M_PI, 2) + "," + fmt(o.length_px, 2) + "," +
           object_kind_name(o.kind) + "," + (o.pick() ? "1" : "0") + "," + label_rule_name(o.rule) + "," +
           fmt(o.cut_fraction, 3) + "," + fmt(o.contrast, 3) + "\n";
  write_text_file_atomic(base + "_labels.csv", csv);
}

}  // namespace yp::picker
