// simulate.h: synthetic KLH micrographs with exact labels (`yolopick simulate`); the physics and the choices
// are explained in docs/picking.md#the-micrograph-simulator.
//
// Pipeline per micrograph (all in MRC array pixels, 2.2 A/px by default):
//   1. place objects: clean top views (rings ~35 nm) and side views (~35 x 40 nm), random in-plane rotation,
//      centres >= min_spacing apart, fully inside the image and off the carbon; plus the objects a careful
//      picker leaves out (labelled pick = false): overlapping pairs, aggregates, particles under debris,
//      damaged particles, stacked side views (> 1.5x the normal length);
//   2. projected potential phi(x, y) (radians): particle densities + debris + carbon film;
//   3. weak-phase image through the CTF (own radix-2 FFT, fft.h):
//        I(k) = delta(k) - 2 [sqrt(1 - A^2) sin chi(k) + A cos chi(k)] E(k) Phi(k),
//        chi(k) = pi lambda df k^2 - pi/2 Cs lambda^3 k^4 (df > 0 = underfocus), E(k) = exp(-B k^2 / 4);
//   4. amplitude terms: ice-thickness gradient and carbon absorption multiply I;
//   5. shot noise: counts ~ Poisson(dose * pixel^2 * I), then the detector PSF (Gaussian blur).
// Output image: float counts (mean ~ dose * pixel^2); to_grey() maps them to 8 bits with the real KLH PNG's
// mean (~85 of 255).
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
  int overlapping_pairs = 1, aggregates = 1, under_debris = 1, damaged = 2, stacked = 1;  // not-to-pick
  int debris = 20;              // free debris blobs
  double carbon_probability = 0.5;
  double min_spacing_px = 0;    // between clean particle centres; 0 = 1.1 x the top-view diameter
  double defocus_um = 2.5, cs_mm = 2.0, voltage_kv = 120.0, amplitude_contrast = 0.07, bfactor_A2 = 600.0;
  // Effective (DQE-weighted) dose: a 2001 CCD at 120 kV counts far fewer independent electrons than were
  // incident; 2 e/A^2 with the PSF below gives the real images' noise level (std/mean ~ 0.11) and grain.
  double dose_e_per_A2 = 2.0;
  double detector_psf_px = 0.9;  // Gaussian sigma of the detector point-spread function
  double ice_gradient = 0.25;   // relative change of transmitted intensity across the image
  double particle_phase = 0.22; // peak projected phase of a particle wall (rad); sets the contrast
};

// KLH sizes (nm) -> pixels: top-view diameter, side-view width and length.
struct KlhGeometry {
  double diameter_px, length_px, wall_px;
  static KlhGeometry from_pixel_size(double pixel_A);
};

enum class ObjectKind { Particle, Overlapping, Aggregate, UnderDebris, Damaged, Stacked };
const char* object_kind_name(ObjectKind k);

struct SimObject {
  Pick box;              // centre + axis-aligned bounding box of the rotated shape; cls 0 = top, 1 = side
  double angle_rad = 0;  // in-plane rotation (side views: of the long axis from +y)
  double length_px = 0;  // side views: cylinder length (stacked ones are longer)
  ObjectKind kind = ObjectKind::Particle;
  bool pick() const { return kind == ObjectKind::Particle; }
};

struct SimulatedMicrograph {
  int size = 0;
  double mean_counts = 0;       // dose * pixel^2: the mean of an empty, ice-only region
  std::vector<float> counts;    // size * size, row-major, row = MRC row
  std::vector<SimObject> objects;
  std::vector<uint8_t> to_grey() const;
  MicrographPicks truth(const std::string& name) const;  // pickable objects only
};

SimulatedMicrograph simulate_micrograph(const SimulationParams& params, int index);

// Writes NAME.png (8-bit, row 0 = MRC row 0), NAME.txt (YOLO labels, pickable only), NAME.star (RELION
// truth, pickable only) and NAME_labels.csv (every object with its kind and pick flag).
void write_simulated(const std::string& dir, const std::string& name, const SimulatedMicrograph& m);

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

// Adds the projected density of one object (peak ~1) into phi (size x size) scaled by `scale`.
void render_top_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale,
                     double damage_angle);
void render_side_view(std::vector<float>& phi, int size, const SimObject& o, const KlhGeometry& g, double scale,
                      double damage_cut);
void render_blob(std::vector<float>& phi, int size, double cx, double cy, double radius, double scale, SimRng& rng);
// Axis-aligned bounding box size of a w x h rectangle rotated by angle.
std::pair<double, double> rotated_box_size(double w, double h, double angle);

}  // namespace yp::picker
