// chain.cpp: run_chain and the config's text form.
#include "imgproc/chain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>

#include "imgproc/normalize.h"
#include "imgproc/resize.h"
#include "imgproc/wiener.h"
#include "util/text.h"

namespace yp::imgproc {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Image run_chain(const Image& image, const ChainConfig& c, ChainTimings* timings) {
  ChainTimings t;
  Image img = image;
  auto t0 = std::chrono::steady_clock::now();
  if (c.resize) {
    img = c.bin_factor > 0 ? bin(img, c.bin_factor) : resize_bicubic(img, c.width, c.height, c.antialias);
    t.resize = ms_since(t0);
  }
  if (c.wavelet) {
    t0 = std::chrono::steady_clock::now();
    img = wavelet_suppress(img, c.wavelet_levels, c.wavelet_action, c.wavelet_suppress_levels);
    t.wavelet = ms_since(t0);
  }
  if (c.wiener) {
    t0 = std::chrono::steady_clock::now();
    img = wiener2(img, c.wiener_rows, c.wiener_cols, c.wiener_noise).image;
    t.wiener = ms_since(t0);
  }
  if (c.clahe) {
    t0 = std::chrono::steady_clock::now();
    img = clahe(normalize(img, 0, 100), c.clahe_options);
    t.clahe = ms_since(t0);
  }
  if (c.normalize) {
    t0 = std::chrono::steady_clock::now();
    img = normalize(img, c.low_percentile, c.high_percentile);
    t.normalize = ms_since(t0);
  }
  if (timings) *timings = t;
  return img;
}

void set_steps(ChainConfig& c, const std::string& list) {
  c.resize = c.wavelet = c.wiener = c.clahe = c.normalize = false;
  std::stringstream ss(list);
  std::string step;
  while (std::getline(ss, step, ',')) {
    step = trim(step);
    if (step == "resize") c.resize = true;
    else if (step == "wavelet") c.wavelet = true;
    else if (step == "wiener") c.wiener = true;
    else if (step == "clahe") c.clahe = true;
    else if (step == "normalize") c.normalize = true;
    else if (step == "none" || step.empty()) continue;
    else throw Error("unknown step '" + step + "' (resize, wavelet, wiener, clahe, normalize, none)");
  }
}

std::string steps_text(const ChainConfig& c) {
  std::string s;
  const std::pair<bool, const char*> steps[] = {
      {c.resize, "resize"}, {c.wavelet, "wavelet"}, {c.wiener, "wiener"}, {c.clahe, "clahe"}, {c.normalize, "normalize"}};
  for (const auto& [on, name] : steps)
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  return s.empty() ? "none" : s;
}

std::string to_text(const ChainConfig& c) {
  std::ostringstream o;
  o.precision(17);
  std::string levels;
  for (int l : c.wavelet_suppress_levels) levels += (levels.empty() ? "" : ",") + std::to_string(l);
  o << "steps = " << steps_text(c) << "\n"
    << "resize.width = " << c.width << "\n"
    << "resize.height = " << c.height << "\n"
    << "resize.bin = " << c.bin_factor << "\n"
    << "resize.antialias = " << (c.antialias ? 1 : 0) << "\n"
    << "wavelet.levels = " << c.wavelet_levels << "\n"
    << "wavelet.action = " << (c.wavelet_action == DetailAction::Zero ? "zero" : "soft") << "\n"
    << "wavelet.suppress = " << (levels.empty() ? "all" : levels) << "\n"
    << "wiener.rows = " << c.wiener_rows << "\n"
    << "wiener.cols = " << c.wiener_cols << "\n"
    << "wiener.noise = " << c.wiener_noise << "\n"
    << "clahe.tiles_x = " << c.clahe_options.tiles_x << "\n"
    << "clahe.tiles_y = " << c.clahe_options.tiles_y << "\n"
    << "clahe.clip = " << c.clahe_options.clip_limit << "\n"
    << "clahe.bins = " << c.clahe_options.bins << "\n"
    << "clahe.distribution = " << distribution_name(c.clahe_options.distribution) << "\n"
    << "clahe.alpha = " << c.clahe_options.alpha << "\n"
    << "normalize.low = " << c.low_percentile << "\n"
    << "normalize.high = " << c.high_percentile << "\n";
  return o.str();
}

ChainConfig chain_config_from_text(const std::string& text) {
  ChainConfig c;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    const std::string where = "chain config line " + std::to_string(line_no) + ": ";
    if (eq == std::string::npos) throw Error(where + "expected 'key = value', got '" + line + "'");
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    const auto number = [&]() {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !std::isfinite(v)) throw Error(where + "bad number '" + value + "'");
      return v;
    };
    const auto integer = [&]() {
      const double v = number();
      if (v != std::floor(v) || std::fabs(v) > 1e9) throw Error(where + "bad integer '" + value + "'");
      return (int)v;
    };
    if (key == "steps") set_steps(c, value);
    else if (key == "resize.width") c.width = integer();
    else if (key == "resize.height") c.height = integer();
    else if (key == "resize.bin") c.bin_factor = integer();
    else if (key == "resize.antialias") c.antialias = integer() != 0;
    else if (key == "wavelet.levels") c.wavelet_levels = integer();
    else if (key == "wavelet.action") {
      if (value != "zero" && value != "soft") throw Error(where + "wavelet.action is zero or soft");
      c.wavelet_action = value == "zero" ? DetailAction::Zero : DetailAction::SoftThreshold;
    } else if (key == "wavelet.suppress") {
      c.wavelet_suppress_levels.clear();
      if (value != "all") {
        std::stringstream ss(value);
        std::string item;
        while (std::getline(ss, item, ',')) {
          const std::string token = trim(item);  // strtol's end pointer must point into a live string
          char* end = nullptr;
          const long l = std::strtol(token.c_str(), &end, 10);
          if (*end != '\0' || l < 1 || l > 16) throw Error(where + "bad level '" + item + "'");
          c.wavelet_suppress_levels.push_back((int)l);
        }
      }
    } else if (key == "wiener.rows") c.wiener_rows = integer();
    else if (key == "wiener.cols") c.wiener_cols = integer();
    else if (key == "wiener.noise") c.wiener_noise = number();
    else if (key == "clahe.tiles_x") c.clahe_options.tiles_x = integer();
    else if (key == "clahe.tiles_y") c.clahe_options.tiles_y = integer();
    else if (key == "clahe.clip") c.clahe_options.clip_limit = number();
    else if (key == "clahe.bins") c.clahe_options.bins = integer();
    else if (key == "clahe.distribution") c.clahe_options.distribution = parse_distribution(value);
    else if (key == "clahe.alpha") c.clahe_options.alpha = number();
    else if (key == "normalize.low") c.low_percentile = number();
    else if (key == "normalize.high") c.high_percentile = number();
    else throw Error(where + "unknown key '" + key + "'");
  }
  check_chain(c);
  return c;
}

void check_chain(const ChainConfig& c) {
  const auto bad = [](const std::string& what) { throw Error("chain config: " + what); };
  if (c.resize && c.bin_factor < 0) bad("resize.bin must be >= 0, got " + std::to_string(c.bin_factor));
  if (c.resize && c.bin_factor == 0 && (c.width < 1 || c.height < 1 || c.width > 65536 || c.height > 65536))
    bad("resize size " + std::to_string(c.width) + "x" + std::to_string(c.height) + " is outside 1..65536");
  if (c.wavelet && (c.wavelet_levels < 1 || c.wavelet_levels > 16))
    bad("wavelet.levels must be 1..16, got " + std::to_string(c.wavelet_levels));
  if (c.wavelet)
    for (int l : c.wavelet_suppress_levels)
      if (l < 1 || l > c.wavelet_levels)
        bad("wavelet.suppress level " + std::to_string(l) + " is outside 1.." + std::to_string(c.wavelet_levels));
  if (c.wiener && (c.wiener_rows < 1 || c.wiener_cols < 1 || c.wiener_rows > 1025 || c.wiener_cols > 1025))
    bad("wiener window " + std::to_string(c.wiener_rows) + "x" + std::to_string(c.wiener_cols) + " is outside 1..1025");
  const ClaheOptions& o = c.clahe_options;
  if (c.clahe && (o.tiles_x < 2 || o.tiles_y < 2 || o.tiles_x > 1024 || o.tiles_y > 1024))
    bad("clahe tiles " + std::to_string(o.tiles_x) + "x" + std::to_string(o.tiles_y) + " are outside 2..1024");
  if (c.clahe && (o.bins < 2 || o.bins > 65536)) bad("clahe.bins must be 2..65536, got " + std::to_string(o.bins));
  if (c.clahe && !(o.clip_limit >= 0 && o.clip_limit <= 1)) bad("clahe.clip must lie in [0, 1]");
  if (c.clahe && o.distribution != ClaheDistribution::Uniform && !(o.alpha > 0)) bad("clahe.alpha must be > 0");
  if (c.normalize && !(c.low_percentile >= 0 && c.low_percentile < c.high_percentile && c.high_percentile <= 100))
    bad("normalize needs 0 <= low < high <= 100, got low " + fmt(c.low_percentile, 3) + ", high " +
        fmt(c.high_percentile, 3));
}

}  // namespace yp::imgproc
