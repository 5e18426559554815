// cmd_simulate.cpp: `yolopick simulate` - synthetic KLH micrographs with exact labels (picker/simulate.h).
#include <chrono>
#include <cstdio>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "picker/simulate.h"
#include "util/error.h"

namespace yp::app {

static const char* kSimulateUsage =
    "usage: yolopick simulate --n N -o DIR [options]\n"
    "  --n N               micrographs to write (default 1)\n"
    "  --size PX           square size in pixels (default 2048)\n"
    "  --seed S            random seed; same seed, same bytes (default 1)\n"
    "  --apix A            pixel size in A (default 2.2, as KLH Dataset I)\n"
    "  --particles K       clean particles per micrograph (default 30)\n"
    "  --side-fraction F   share of side views (default 0.5)\n"
    "  --defocus UM        underfocus in micrometres (default 2.5)\n"
    "  --dose E            effective electrons per A^2 (default 2)\n"
    "  --phase RAD         peak projected phase of a particle wall: the contrast (default 0.22)\n"
    "  --ice-gradient G    relative intensity change across the image (default 0.25)\n"
    "  --carbon P          probability of a carbon edge (default 0.5)\n"
    "  --debris K          free debris blobs (default 20)\n"
    "  --min-spacing PX    between clean particle centres (default 1.1 x particle diameter)\n"
    "  -o DIR              output folder: NAME.png, NAME.txt (YOLO), NAME.star (RELION), NAME_labels.csv (all objects)\n";

int cmd_simulate(const Args& args) {
  picker::SimulationParams p;
  int n = 1;
  std::string out;
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
    else if (r.is("--carbon")) p.carbon_probability = r.number();
    else if (r.is("--debris")) p.debris = int(r.number());
    else if (r.is("--min-spacing")) p.min_spacing_px = r.number();
    else if (r.is("-o", "--output")) out = r.value();
    else r.unknown();
  }
  if (out.empty()) throw Error("-o DIR is required (yolopick simulate --help)");
  if (n < 1 || n > 100000) throw Error("--n must be in [1, 100000]");
  int picks = 0, skipped = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "sim_%05d", i);
    const picker::SimulatedMicrograph m = picker::simulate_micrograph(p, i);
    picker::write_simulated(out, name, m);
    for (const auto& o : m.objects) (o.pick() ? picks : skipped)++;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %d micrographs (%dx%d px, %.2f A/px) to %s: %d particles to pick, %d not-to-pick objects; %.1f s\n", n,
              p.size, p.size, p.pixel_A, out.c_str(), picks, skipped, s);
  return 0;
}

}  // namespace yp::app
