// cmd_simulate.cpp: `yolopick simulate` - synthetic KLH micrographs with exact labels (picker/simulate.h).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "picker/simulate.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace yp::app {

static const char* kSimulateUsage =
    "usage: yolopick simulate --n N -o DIR [options]\n"
    "example: yolopick simulate --n 20 --size 1024 --apix 2.2 -o sim\n"
    "  --n N               micrographs to write (default 1)\n"
    "  --size PX           square size in pixels (default 2048)\n"
    "  --seed S            random seed; same seed, same bytes (default 1)\n"
    "  --apix A            pixel size in A (default 2.2, as KLH Dataset I)\n"
    "  --particles K       clean particles per micrograph (default 30)\n"
    "  --side-fraction F   share of side views (default 0.5)\n"
    "  --defocus UM        underfocus in micrometres (default 2.5)\n"
    "  --dose E            effective electrons per A^2 (default 3.5)\n"
    "  --phase RAD         peak projected phase of a particle wall: the contrast (default 0.22)\n"
    "  --ice-gradient G    relative intensity change across the image (default 0.03)\n"
    "  --background S      std of the smooth low-frequency background, relative (default 0.015)\n"
    "  --psf SIGMA         detector point-spread function, Gaussian sigma in px (default 0.7)\n"
    "  --ice-texture S     the ice's own phase noise per pixel, rad (default 0.1): Thon-ring texture\n"
    "  --processed P       share of micrographs given the DeepCryoPicker 'processed' look (default 0)\n"
    "  --touching F        share of clean particles placed touching another one (default 0.25)\n"
    "  --min-gap PX        halo between a clean particle and anything else (default 8)\n"
    "Objects not to pick (per micrograph; placed when there is room):\n"
    "  --overlapping K --aggregates K --under-debris K --broken K --stacked K --elongated K\n"
    "  --border-cut K (particles at the border: > 35 % cut excluded, 25-35 % uncertain, else labelled, box clipped)\n"
    "  --debris K (default 12) --ice K (1) --filaments K (1) --carbon P (probability, 0.15) --ambiguous K (1)\n"
    "  -o DIR              output folder: NAME.mrc, NAME.txt (YOLO), NAME.star (RELION), NAME.excluded.txt and\n"
    "                      NAME.uncertain.txt ('cx cy note', as the real KLH labels), NAME_labels.csv (all objects)\n"
    "  --format F          the micrograph as mrc (float32 counts, the pixel size in the header; default), png\n"
    "                      (8-bit, the KLH PNGs' look) or both\n";

// A per-micrograph object count: a whole number in [0, 10000].
static int count(ArgReader& r) {
  const double v = r.number();
  if (v < 0 || v > 10000 || v != std::floor(v)) throw Error("simulate: counts must be whole numbers in [0, 10000]");
  return int(v);
}

int cmd_simulate(const Args& args) {
  picker::SimulationParams p;
  int n = 1;
  std::string out;
  picker::SimImages images = picker::SimImages::Mrc;
  ArgReader r(args, "simulate");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kSimulateUsage);
      return 0;
    } else if (r.is("--n")) n = int(r.number());
    else if (r.is("--size")) p.size = int(r.number());
    else if (r.is("--seed")) p.seed = uint64_t(r.number());
    else if (r.is("--apix")) p.pixel_A = r.number();
    else if (r.is("--particles")) p.particles = int(r.number());
    else if (r.is("--side-fraction")) p.side_fraction = r.number();
    else if (r.is("--defocus")) p.defocus_um = r.number();
    else if (r.is("--dose")) p.dose_e_per_A2 = r.number();
    else if (r.is("--phase")) p.particle_phase = r.number();
    else if (r.is("--ice-gradient")) p.ice_gradient = r.number();
    else if (r.is("--background")) p.background = r.number();
    else if (r.is("--psf")) p.detector_psf_px = r.number();
    else if (r.is("--ice-texture")) p.ice_texture = r.number();
    else if (r.is("--processed")) p.processed_probability = r.number();
    else if (r.is("--touching")) p.touching_fraction = r.number();
    else if (r.is("--min-gap")) p.min_gap_px = r.number();
    else if (r.is("--carbon")) p.carbon_probability = r.number();
    else if (r.is("--debris")) p.debris = count(r);
    else if (r.is("--overlapping")) p.overlapping_pairs = count(r);
    else if (r.is("--aggregates")) p.aggregates = count(r);
    else if (r.is("--under-debris")) p.under_debris = count(r);
    else if (r.is("--broken")) p.broken = count(r);
    else if (r.is("--stacked")) p.stacked = count(r);
    else if (r.is("--elongated")) p.elongated = count(r);
    else if (r.is("--border-cut")) p.border_cut = count(r);
    else if (r.is("--ice")) p.ice = count(r);
    else if (r.is("--filaments")) p.filaments = count(r);
    else if (r.is("--ambiguous")) p.ambiguous = count(r);
    else if (r.is("-o", "--output")) out = r.value();
    else if (r.is("--format")) {
      const std::string f = r.value();
      if (f == "mrc") images = picker::SimImages::Mrc;
      else if (f == "png") images = picker::SimImages::Png;
      else if (f == "both") images = picker::SimImages::Both;
      else throw Error("--format: expected mrc, png or both, got '" + f + "'");
    }
    else r.unknown();
  }
  if (out.empty()) throw Error("-o DIR is required (yolopick simulate --help)");
  if (n < 1 || n > 100000) throw Error("--n must be in [1, 100000]");
  std::filesystem::create_directories(out);
  sweep_temporary_files(out);  // what a killed run left (util/atomic_file.h)
  int picks = 0, excluded = 0, uncertain = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "sim_%05d", i);
    const picker::SimulatedMicrograph m = picker::simulate_micrograph(p, i);
    try {
      picker::write_simulated(out, name, m, images);
    } catch (const std::exception& e) {
      throw Error(std::string(e.what()) + "; " + name + " and the " + std::to_string(n - 1 - i) +
                  " micrograph(s) after it were not written (" + std::to_string(i) + " were)");
    }
    for (const auto& o : m.objects) {
      picks += o.rule == picker::LabelRule::Pick;
      excluded += o.rule == picker::LabelRule::Exclude;
      uncertain += o.rule == picker::LabelRule::Uncertain;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %d micrographs (%dx%d px, %.2f A/px) to %s: %d particles to pick, %d objects not to pick, %d "
              "uncertain; %.1f s\n",
              n, p.size, p.size, p.pixel_A, out.c_str(), picks, excluded, uncertain, s);
  return 0;
}

}  // namespace yp::app
