// cmd_preprocess.cpp: `yolopick preprocess` - the study's pre-processing chain (imgproc/chain.h) over
// many micrographs: 8-bit PNGs (optionally float32 MRC), an optional before/after report with histograms
// (the study's Figure 1), a progress bar with ETA on stderr. A bad file is reported and skipped; the
// exit code is 1 if any failed.
#include <malloc.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "util/atomic_file.h"
#include "util/text.h"
#include "imgproc/annotate.h"
#include "imgproc/chain.h"
#include "imgproc/image_io.h"
#include "imgproc/normalize.h"
#include "imgproc/resize.h"

namespace yp::app {
namespace {

using namespace yp::imgproc;

const char* kPreprocessUsage =
    "usage: yolopick preprocess INPUT... -o DIR [options]\n"
    "example: yolopick preprocess Micrographs/*.mrc -o pre --mrc --report\n"
    "  INPUT                MRC (modes 0/1/2/6/12), TIFF, PNG, JPEG, BMP, TGA, PGM\n"
    "  -o DIR               output folder: NAME.png (8-bit), NAME.mrc with --mrc, NAME_report.png with --report\n"
    "  --steps LIST         comma list of resize,wavelet,wiener,clahe,normalize or none (default: all five);\n"
    "                       without normalize an 8-bit picture keeps its values in NAME.png (none: the same\n"
    "                       bytes), other data is stretched to 8 bits by its 0.1/99.9 % percentiles\n"
    "  --size N | WxH       bicubic resize target (default 1024 = 1024x1024, as the study)\n"
    "  --bin N              bin N x N instead of the bicubic resize\n"
    "  --no-antialias       imresize's 'Antialiasing', false\n"
    "  --levels N           wavelet levels (default 2)\n"
    "  --wavelet zero|soft  zero the detail bands (default) or soft-threshold them (universal threshold)\n"
    "  --suppress 1,2       levels whose details are suppressed (default all; 1 = finest)\n"
    "  --wiener N | MxN     wiener2 window, rows x cols (default 9)\n"
    "  --wiener-noise V     noise power (default: mean local variance)\n"
    "  --tiles N | RxC      CLAHE tiles, rows x cols (default 4)\n"
    "  --clip C             CLAHE ClipLimit in [0, 1] (default 0.01)\n"
    "  --bins N             CLAHE NBins (default 256)\n"
    "  --distribution D     uniform (default), rayleigh or exponential\n"
    "  --alpha A            rayleigh/exponential parameter (default 0.4)\n"
    "  --percentiles LO,HI  normalisation percentiles (default 0.1,99.9; 0,100 = min-max)\n"
    "  --config FILE        read the chain config (key = value lines); later options override it\n"
    "  --save-config FILE   write the chain config actually used\n"
    "  --section K          section of an MRC stack (0-based)\n"
    "  --permissive         accept MRC files with the common header violations\n"
    "  --mrc                also write NAME.mrc (float32, pixel size scaled by the resize)\n"
    "  --report             also write NAME_report.png: original | processed with their histograms\n"
    "  --quiet              no progress bar\n";

// --- the report: original | processed, each over its 256-bin histogram ---------------------------
constexpr int kPanel = 512, kHistHeight = 160, kMargin = 24, kLabel = 20;

void draw_panel(RgbImage& c, int x0, const Image& shown01, const Image& values01, const std::string& label) {
  const Rgb8 ink{0, 0, 0};
  draw_text(c, x0, 2, label, ink, 2);
  const Image small = resize_bicubic(shown01, kPanel, kPanel);
  for (int y = 0; y < kPanel; ++y)
    for (int x = 0; x < kPanel; ++x) {
      const uint8_t g = (uint8_t)std::lround(255.f * std::clamp(small.at(x, y), 0.f, 1.f));
      fill_rectangle(c, x0 + x, kLabel + y, x0 + x, kLabel + y, {g, g, g});
    }
  std::vector<double> hist(256, 0);
  for (float v : values01.data) hist[(size_t)std::lround(255.f * std::clamp(v, 0.f, 1.f))] += 1;
  const double peak = *std::max_element(hist.begin(), hist.end());
  const int base = kLabel + kPanel + kHistHeight + 4;
  for (int b = 0; b < 256; ++b) {
    const int bar = (int)std::lround(kHistHeight * hist[(size_t)b] / std::max(peak, 1.0));
    if (bar > 0) fill_rectangle(c, x0 + 2 * b, base - bar + 1, x0 + 2 * b + 1, base, {40, 90, 160});
  }
  fill_rectangle(c, x0, base + 1, x0 + kPanel - 1, base + 1, ink);
  draw_text(c, x0, base + 4, "0", ink, 1);
  draw_text(c, x0 + kPanel - 14, base + 4, "255", ink, 1);
}

void write_report(const std::string& path, const Image& original, const Image& processed01) {
  // The original is shown min-max scaled, so its (narrow) histogram is the file's own shape.
  const Image original01 = normalize(original, 0, 100);
  RgbImage c(2 * kPanel + 3 * kMargin, kLabel + kPanel + kHistHeight + 20, {255, 255, 255});
  draw_panel(c, kMargin, original01, original01, "original (min-max)");
  draw_panel(c, 2 * kMargin + kPanel, processed01, processed01, "processed");
  write_png(path, c.pixels.data(), c.width, c.height, 3);
}

void progress(size_t done, size_t total, double elapsed_s) {
  constexpr int kWidth = 30;
  const int filled = (int)(kWidth * done / std::max<size_t>(total, 1));
  const double eta = done ? elapsed_s / (double)done * (double)(total - done) : 0;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu  %.1fs elapsed  ETA %.1fs ", std::string((size_t)filled, '#').c_str(),
               std::string((size_t)(kWidth - filled), '.').c_str(), done, total, elapsed_s, eta);
  if (done == total) std::fprintf(stderr, "\n");
}

}  // namespace

int cmd_preprocess(const Args& args) {
  ChainConfig config;
  ReadOptions read_options;
  std::vector<std::string> inputs;
  std::string out_dir, save_config;
  bool write_mrc_too = false, report = false, quiet = false;
  ArgReader r(args, "preprocess");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kPreprocessUsage);
      return 0;
    } else if (r.is("-o", "--output")) out_dir = r.value();
    else if (r.is("--steps")) set_steps(config, r.value());
    else if (r.is("--size")) std::tie(config.width, config.height) = r.int_pair(0, 1000000);
    else if (r.is("--bin")) config.bin_factor = r.integer(0, 1000000);
    else if (r.is("--no-antialias")) config.antialias = false;
    else if (r.is("--levels")) config.wavelet_levels = r.integer(0, 1000000);
    else if (r.is("--wavelet")) {
      const std::string v = r.value();
      if (v != "zero" && v != "soft") throw Error("--wavelet is zero or soft");
      config.wavelet_action = v == "zero" ? DetailAction::Zero : DetailAction::SoftThreshold;
    } else if (r.is("--suppress")) {
      config = chain_config_from_text(to_text(config) + "wavelet.suppress = " + r.value() + "\n");
    } else if (r.is("--wiener")) std::tie(config.wiener_rows, config.wiener_cols) = r.int_pair(0, 1000000);
    else if (r.is("--wiener-noise")) config.wiener_noise = r.number();
    else if (r.is("--tiles"))
      std::tie(config.clahe_options.tiles_y, config.clahe_options.tiles_x) = r.int_pair(0, 1000000);
    else if (r.is("--clip")) config.clahe_options.clip_limit = r.number();
    else if (r.is("--bins")) config.clahe_options.bins = r.integer(0, 1000000);
    else if (r.is("--distribution")) config.clahe_options.distribution = parse_distribution(r.value());
    else if (r.is("--alpha")) config.clahe_options.alpha = r.number();
    else if (r.is("--percentiles")) {
      const std::string v = r.value();
      const size_t comma = v.find(',');
      if (comma == std::string::npos) throw Error("--percentiles wants LO,HI");
      config.low_percentile = parse_number("--percentiles", v.substr(0, comma));
      config.high_percentile = parse_number("--percentiles", v.substr(comma + 1));
    } else if (r.is("--config")) {
      const std::string path = r.value();
      std::ifstream in(path);
      if (!in) throw Error(path + ": cannot open");
      std::stringstream ss;
      ss << in.rdbuf();
      config = chain_config_from_text(ss.str());
    } else if (r.is("--save-config")) save_config = r.value();
    else if (r.is("--section")) read_options.mrc.section = r.integer(0, 1000000);
    else if (r.is("--permissive")) read_options.mrc.permissive = true;
    else if (r.is("--mrc")) write_mrc_too = true;
    else if (r.is("--report")) report = true;
    else if (r.is("--quiet")) quiet = true;
    else if (r.positional()) inputs.push_back(r.arg());
    else r.unknown();
  }
  // Every step returns a fresh image. With glibc's defaults buffers of 4-16 MB are mmapped and unmapped
  // per step, and the page faults cost as much as the filters (docs/perf.md); keep them on the heap.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (out_dir.empty()) throw Error("-o DIR is required (yolopick preprocess --help)");
  if (inputs.empty()) throw Error("no input files (yolopick preprocess --help)");
  std::filesystem::create_directories(out_dir);
  sweep_temporary_files(out_dir);  // what a killed run left (util/atomic_file.h)
  if (!save_config.empty()) {
    write_text_file_atomic(save_config, to_text(config));
  }
  size_t failed = 0;
  std::string not_written;  // the inputs whose outputs are missing, for the summary
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (!quiet) progress(0, inputs.size(), 0);
  for (size_t n = 0; n < inputs.size(); ++n) {
    const std::string& path = inputs[n];
    try {
      const LoadedImage in = read_image(path, read_options);
      for (const std::string& w : in.warnings) std::fprintf(stderr, "\n%s: warning: %s\n", path.c_str(), w.c_str());
      const Image out = run_chain(in.image, config);
      // A PNG needs [0, 1]: without the normalise step, 8-bit pictures keep their values (v / 255, so --steps none
      // gives the same bytes back) and anything else is stretched between its 0.1/99.9 % percentiles, as training
      // reads it; the MRC keeps the chain's values as they are.
      const std::string stem = (std::filesystem::path(out_dir) / std::filesystem::path(path).stem()).string();
      write_png(stem + ".png", config.normalize ? out : to_unit_range(out, in.format == "mrc"));
      if (write_mrc_too) {
        const double scale = (double)in.image.width / out.width;
        write_mrc(stem + ".mrc", out, in.pixel_size * scale);
      }
      if (report) write_report(stem + "_report.png", in.image, out);
    } catch (const std::exception& e) {
      ++failed;
      not_written += " " + path;
      std::fprintf(stderr, "\nyolopick preprocess: %s\n", e.what());
    }
    if (!quiet) progress(n + 1, inputs.size(), elapsed());
  }
  std::printf("preprocessed %zu of %zu images into %s in %.1f s (steps %s)\n", inputs.size() - failed, inputs.size(),
              out_dir.c_str(), elapsed(), steps_text(config).c_str());
  if (failed) std::printf("not written (failed above):%s\n", not_written.c_str());
  return failed ? 1 : 0;
}

}  // namespace yp::app
