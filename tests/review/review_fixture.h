// review_fixture.h: a review session on test data in a fresh folder, served on an ephemeral loopback port.
//
//   DIR/mics/sim_00000.png   a simulated 1024^2 KLH micrograph (picker/simulate.h)
//   DIR/mics/ramp.png        a 700 x 500 picture whose grey values are known exactly: rows 0-9 black, the last
//                            10 rows white, between them (3x + 5y) mod 256, so the 0.5/99.5 % stretch is the
//                            identity and every tile must hold the file's own bytes
//   DIR/mics/broken.png      not a picture
//   DIR/picks/sim_00000.cbox the simulation's truth with confidences 0.05, 0.15, ..., 0.95 in turn
//   DIR/labels/, DIR/out/    empty: the session writes there
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "imgproc/image_io.h"
#include "picker/formats_box.h"
#include "picker/simulate.h"
#include "review/project.h"
#include "review/server.h"

namespace yp::test {

namespace fs = std::filesystem;

inline fs::path fresh_folder(const std::string& tag) {
  static std::atomic<int> counter{0};
  const fs::path dir = fs::temp_directory_path() /
                       ("yp_review_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

constexpr int kRampWidth = 700, kRampHeight = 500;

inline uint8_t ramp_value(int x, int y) {
  if (y < 10) return 0;
  if (y >= kRampHeight - 10) return 255;
  return static_cast<uint8_t>((3 * x + 5 * y) % 256);
}

// Writes the micrographs and picks described above; returns the truth picks written to the .cbox.
inline picker::MicrographPicks write_review_data(const fs::path& dir) {
  fs::create_directories(dir / "mics");
  fs::create_directories(dir / "picks");
  picker::SimulationParams params;
  params.size = 1024;
  params.particles = 8;
  params.seed = 7;
  const picker::SimulatedMicrograph sim = picker::simulate_micrograph(params, 0);
  const std::vector<uint8_t> grey = sim.to_grey();
  imgproc::write_png((dir / "mics" / "sim_00000.png").string(), grey.data(), sim.size, sim.size, 1);
  picker::MicrographPicks truth = sim.truth("sim_00000");
  truth.width = truth.height = sim.size;
  for (size_t i = 0; i < truth.picks.size(); ++i) truth.picks[i].confidence = 0.05 + 0.1 * (i % 10);
  picker::write_cbox((dir / "picks" / "sim_00000.cbox").string(), truth);

  std::vector<uint8_t> ramp(static_cast<size_t>(kRampWidth) * kRampHeight);
  for (int y = 0; y < kRampHeight; ++y)
    for (int x = 0; x < kRampWidth; ++x) ramp[static_cast<size_t>(y) * kRampWidth + x] = ramp_value(x, y);
  imgproc::write_png((dir / "mics" / "ramp.png").string(), ramp.data(), kRampWidth, kRampHeight, 1);
  std::FILE* f = std::fopen((dir / "mics" / "broken.png").c_str(), "wb");
  std::fputs("not a picture", f);
  std::fclose(f);
  return truth;
}

// A project and its server on 127.0.0.1:ephemeral, serving on a thread until destroyed.
struct RunningReview {
  std::unique_ptr<review::Project> project;
  std::unique_ptr<review::ReviewServer> server;
  std::thread serving;
  int port = 0;

  RunningReview(const review::ProjectOptions& options, review::ServerOptions server_options = {}) {
    project = std::make_unique<review::Project>(options);
    server = std::make_unique<review::ReviewServer>(*project, server_options);
    port = server->bind();
    serving = std::thread([this] { server->run(); });
  }
  ~RunningReview() {
    server->stop();
    serving.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(120, 0);  // "pick" runs a network on a shared CPU
    return c;
  }
};

inline review::ProjectOptions review_options(const fs::path& dir) {
  review::ProjectOptions o;
  o.micrographs = {(dir / "mics").string()};
  o.picks_dir = (dir / "picks").string();
  o.labels_dir = (dir / "labels").string();
  o.out_dir = (dir / "out").string();
  o.class_names = {"top", "side"};
  return o;
}

// Sends raw bytes on a fresh connection and returns the whole answer (for requests httplib's client would
// never send: bad request lines, unnormalised paths).
std::string raw_request(int port, const std::string& bytes);

}  // namespace yp::test
