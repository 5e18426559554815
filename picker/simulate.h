// simulate.h: synthetic KLH micrographs with exact labels (`yolopick simulate`); the physics, the object
// catalogue and the choices are explained in docs/picking.md#3-the-micrograph-simulator.
//
// Pipeline per micrograph (all in MRC array pixels, 2.2 A/px by default), one file per stage:
//   1. layout (simulate_layout.cpp): clean top views (rings) and side views (rectangles) at every in-plane angle,
//      some touching a neighbour; and the objects the labelling rules forbid picking: overlapping pairs,
//      aggregates, particles under debris, broken (C-shaped) rings, stacked multi-decamer tubes, side views
//      longer than 1.5x, particles cut by the border by more than 30 %, dense debris, ice contamination,
//      long filaments, a carbon edge; plus ambiguous objects (faint or slightly damaged particles, particles
//      cut by 25-35 %). Objects never overlap unless the kind says so (convex footprints, support functions);
//   2. projected potential phi(x, y) (radians; simulate_particles.cpp draws every object);
//   3. image formation (simulate_image.cpp): weak-phase image through the CTF (own radix-2 FFT, fft.h),
//        I(k) = delta(k) - 2 [sqrt(1 - A^2) sin chi(k) + A cos chi(k)] E(k) Phi(k),
//        chi(k) = pi lambda df k^2 - pi/2 Cs lambda^3 k^4 (df > 0 = underfocus), E(k) = exp(-B k^2 / 4);
//      amplitude terms (absorption of ice and carbon, ice-thickness gradient, low-frequency background);
//      shot noise, counts ~ Poisson(dose * pixel^2 * I), then the detector PSF (Gaussian blur);
//   4. optionally the "processed" look of the DeepCryoPicker KLH images (simulate_look.cpp).
// Labels: NAME.txt / NAME.star hold the particles to pick (boxes tight around the dark outer boundary, clipped
// to the image); NAME.excluded.txt and NAME.uncertain.txt ("cx cy note", pixels) hold the hard negatives and
// the ambiguous objects in the format of the real KLH labels (../shared/data/klh_nramm_png/labels/README.txt).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "picker/coords.h"

namespace yp::picker {

struct SimulationParams {
  int size = 2048;              // square micrographs, pixels
  double pixel_A = 2.2;         // A per pixel
  uint64_t seed = 1;
  int particles = 30;           // clean particles to place (fewer if they do not fit)
  double side_fraction = 0.5;   // share of side views among clean particles
  double touching_fraction = 0.25;  // share of clean particles placed touching an earlier one (a halo apart)
  // Not-to-pick objects per micrograph (placed when there is room).
  int overlapping_pairs = 1, aggregates = 1, under_debris = 1, broken = 2, stacked = 1, elongated = 1;
  int border_cut = 3;           // particles centred near the border: >35 % cut -> excluded, 25-35 % -> uncertain,
                                // <= 25 % -> labelled with the box clipped to the image
  int debris = 12;              // dense dark blobs (radius 20-60 px)
  int ice = 1;                  // ice contamination: large, very dense, sharp-edged lumps
  int filaments = 1;            // long thin filaments crossing the field
  int ambiguous = 1;            // faint or slightly damaged particles -> uncertain
  double carbon_probability = 0.15;
  double min_gap_px = 8;        // the bright halo between a clean particle and anything else
  double defocus_um = 2.5, cs_mm = 2.0, voltage_kv = 120.0, amplitude_contrast = 0.07, bfactor_A2 = 600.0;
  // Effective (DQE-weighted) dose: a 2001 CCD at 120 kV counts far fewer independent electrons than were
  // incident; 3.5 e/A^2 with the PSF below gives the raw KLH image's noise level (high-pass std / mean ~0.10)
  // and grain (neighbour correlation ~0.5).
  double dose_e_per_A2 = 3.5;
  double detector_psf_px = 0.7;  // Gaussian sigma of the detector point-spread function
  double ice_gradient = 0.03;   // relative change of transmitted intensity across the image
  double background = 0.015;    // std of the smooth low-frequency background (relative intensity)
  double ice_texture = 0.10;    // std of the vitreous ice's own phase per pixel (rad, white): Thon-ring texture
  double particle_phase = 0.22; // peak projected phase of a particle wall (rad); sets the contrast
  double contrast_jitter = 0.15; // per-particle relative contrast spread (local ice thickness)
  double processed_probability = 0;  // chance that a micrograph gets the DeepCryoPicker "processed" look
};

// KLH sizes -> pixels: top-view (ring) outer diameter, side-view width and length, wall thickness. Measured on
// the real labelled micrographs (labels/README.txt: rings 142-150 px, side views ~162 x 137 px at 2.2 A/px),
// i.e. 32 nm, 30 nm and 35.6 nm; the classic 35 x 40 nm of KLH are the hydrated maximal extents.
struct KlhGeometry {
  double diameter_px, width_px, length_px, wall_px;
  static KlhGeometry from_pixel_size(double pixel_A);
};

enum class ObjectKind {
  Particle,     // to pick
  Overlapping,  // overlapping pair (each member)
  Aggregate,    // 3-4 particles clumped (each member)
  UnderDebris,  // a particle with a dense blob over it
  Broken,       // C-shaped ring (missing sector of 60-150 degrees) or side view with a corner gone
  Stacked,      // multi-decamer tube, 2-3x the normal length
  Elongated,    // side view 1.55-1.95x the normal length
  BorderCut,    // cut by the image border by more than 25 %
  Debris,       // dense dark blob
  Ice,          // ice contamination
  Filament,     // long thin filament
  CarbonEdge,   // edge of the carbon film
  Faint,        // a particle at a third to a half of the usual contrast (ambiguous)
  Chipped,      // a ring with a small missing sector (25-45 degrees, ambiguous)
};
const char* object_kind_name(ObjectKind k);

enum class LabelRule { Pick, Exclude, Uncertain };
const char* label_rule_name(LabelRule r);

struct SimObject {
  Pick box;              // centre + axis-aligned bounding box of the shape (clipped to the image); cls 0 top, 1 side
  double angle_rad = 0;  // in-plane rotation (side views: of the long axis from +y)
  double length_px = 0;  // side views: cylinder length (stacked and elongated ones are longer)
  double radius_px = 0;  // blobs, ice: radius; filaments: half width
  double cut_fraction = 0;  // share of the shape's area outside the image
  double contrast = 1;   // relative contrast of this particle
  double damage = -1;    // broken/chipped: angle of the missing sector (rad); -1 = intact
  double damage_width = 0;  // half-width of the missing sector (rad)
  double lattice_shift = 0; // side views: offset of the subunit lattice across the axis (px)
  uint64_t texture_seed = 0; // particles: seed of their own irregular texture (simulate_particles.cpp)
  std::vector<std::pair<double, double>> path;  // filaments and carbon edges: points along them (pixels)
  ObjectKind kind = ObjectKind::Particle;
  LabelRule rule = LabelRule::Pick;
  bool pick() const { return rule == LabelRule::Pick; }
};

struct SimulatedMicrograph {
  int size = 0;
  double pixel_A = 0;           // A per pixel (SimulationParams::pixel_A), written into the MRC header
  KlhGeometry geometry{};       // the nominal particle sizes in pixels
  double mean_counts = 0;       // dose * pixel^2: the mean of an empty, ice-only region
  std::vector<float> counts;    // size * size, row-major, row = MRC row
  std::vector<float> processed; // the "processed" look in [0, 1] when this micrograph got it, else empty
  std::vector<SimObject> objects;
  std::vector<uint8_t> to_grey() const;
  MicrographPicks truth(const std::string& name) const;  // pickable objects only
  // Hard negatives (excluded) and ambiguous objects (uncertain), as the real labels' files list them; extended
  // objects (tubes, filaments, carbon edges) give a point every ~0.8 particle diameters along them.
  std::vector<MarkedPosition> marked(LabelRule rule) const;
};

SimulatedMicrograph simulate_micrograph(const SimulationParams& params, int index);

// The micrograph files write_simulated writes: NAME.mrc (float32 counts - or the processed look in [0, 1] - with
// the pixel size in the header, as a detector's micrograph arrives), NAME.png (8-bit to_grey()), or both.
enum class SimImages { Mrc, Png, Both };

// Writes the micrograph (SimImages; row 0 = MRC row 0 in both), NAME.txt (YOLO labels, pickable only), NAME.star
// (RELION truth, pickable only), NAME.excluded.txt and NAME.uncertain.txt (marked(); the real labels' format), and
// NAME_labels.csv (every object with its kind and rule).
void write_simulated(const std::string& dir, const std::string& name, const SimulatedMicrograph& m,
                     SimImages images = SimImages::Mrc);

// --- internal pieces shared by simulate*.cpp -------------------------------------------------------------
// Deterministic on every platform: splitmix64 + our own Box-Muller and Poisson (std:: distributions are not
// specified bit-exactly by the standard).
struct SimRng {
  uint64_t state;
  explicit SimRng(uint64_t seed) : state(seed) {}
  uint64_t next();
  double uniform();                  // [0, 1)
  double uniform(double a, double b);
  double normal();
  double poisson(double mean);       // exact (Knuth) below 30, rounded normal approximation above
};

// A straight carbon edge with a gentle wave; carbon lies where signed_distance > 0.
struct CarbonEdge {
  bool present = false;
  double nx = 0, ny = 0, offset = 0, wave_amp = 0, wave_len = 1, wave_phase = 0, cx = 0, cy = 0;
  double signed_distance(double x, double y) const;
};

// The layout: every object, the carbon edge, and the blobs drawn over particles (under-debris).
struct SimLayout {
  std::vector<SimObject> objects;
  CarbonEdge carbon;
};
SimLayout layout_micrograph(const SimulationParams& params, const KlhGeometry& g, SimRng& rng);

// Adds the projected density of one object into phi (size x size; radians, a particle wall peaks at `phase` x
// its contrast) and multiplies its absorption into `absorption` (transmitted amplitude fraction, 1 = none).
void render_object(std::vector<float>& phi, std::vector<float>& absorption, int size, const SimObject& o,
                   const KlhGeometry& g, double phase, SimRng& rng);
void render_top_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale);
void render_side_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale);
// How far an object's density reaches from its centre line (px): particles their radius (side views: half
// width), debris and ice 1.1 x radius_px (their lumps spread past it), filaments their half width.
double object_reach(const SimObject& o);
// Axis-aligned bounding box size of a w x h rectangle rotated by angle.
std::pair<double, double> rotated_box_size(double w, double h, double angle);

// Image formation (stage 3): counts from the projected potential, the amplitude map (1 = no absorption) and
// the carbon edge.
std::vector<float> form_image(const SimulationParams& params, std::vector<float> phi, const std::vector<float>& absorption,
                              const CarbonEdge& carbon, SimRng& rng, double* mean_counts);
// Stage 4: the DeepCryoPicker "processed" look of a counts image, values in [0, 1].
std::vector<float> processed_look(const std::vector<float>& counts, int size);

}  // namespace yp::picker
