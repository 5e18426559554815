// pick_outputs.cpp: which micrographs a run takes (inputs, shards, resume) and what it writes for each
// (pick_run.h). Every file goes through a temporary name and a rename, the STAR last, so a micrograph whose
// STAR exists was finished and an interrupted run never leaves a half-written file behind.
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "imgproc/annotate.h"
#include "imgproc/image_io.h"
#include "imgproc/normalize.h"
#include "imgproc/resize.h"
#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "picker/pipeline/pick_run.h"
#include "util/text.h"

namespace yp::picker {

namespace fs = std::filesystem;

namespace {

bool is_list_file(const std::string& path) {
  const std::string e = lower_extension(path);
  return e == ".txt" || e == ".lst" || e == ".list";
}

void add_list_file(const std::string& list, std::vector<std::string>& out) {
  std::ifstream f(list);
  if (!f) throw Error(list + ": cannot open the list file");
  const fs::path base = fs::path(list).parent_path();
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    fs::path p(line);
    out.push_back((p.is_absolute() ? p : base / p).lexically_normal().string());
    ++n;
  }
  if (n == 0) throw Error(list + ": the list file names no micrographs");
}

}  // namespace

bool is_micrograph_file(const std::string& path) {
  static const std::set<std::string> exts{".mrc", ".mrcs", ".png", ".jpg", ".jpeg", ".tif", ".tiff"};
  return exts.count(lower_extension(path)) > 0;
}

std::vector<std::string> expand_micrograph_inputs(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  for (const std::string& s : specs) {
    if (s.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      const int rc = ::glob(s.c_str(), 0, nullptr, &g);
      size_t n = 0;
      for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i)
        if (is_micrograph_file(g.gl_pathv[i])) out.push_back(g.gl_pathv[i]), ++n;
      globfree(&g);
      if (n == 0) throw Error(s + ": the pattern matches no micrographs (.mrc .mrcs .png .jpg .jpeg .tif)");
    } else if (fs::is_directory(s)) {
      size_t n = 0;
      for (const auto& e : fs::directory_iterator(s))
        if (e.is_regular_file() && is_micrograph_file(e.path().string())) out.push_back(e.path().string()), ++n;
      if (n == 0) throw Error(s + ": no micrographs (.mrc .mrcs .png .jpg .jpeg .tif) in this folder");
    } else if (fs::exists(s) && is_list_file(s)) {
      add_list_file(s, out);
    } else if (fs::exists(s)) {
      out.push_back(s);  // a single file: read errors are reported per micrograph
    } else {
      throw Error(s + ": no such file, folder or matching pattern");
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::map<std::string, std::string> by_stem;
  for (const std::string& p : out) {
    const std::string stem = fs::path(p).stem().string();
    auto [it, fresh] = by_stem.emplace(stem, p);
    if (!fresh) throw Error(p + " and " + it->second + " share the name '" + stem + "'; their outputs would collide");
  }
  return out;
}

std::vector<std::string> shard_inputs(const std::vector<std::string>& sorted, int index, int count) {
  YP_CHECK(count >= 1 && index >= 0 && index < count, "shard " + std::to_string(index) + "/" + std::to_string(count));
  std::vector<std::string> mine;
  for (size_t k = 0; k < sorted.size(); ++k)
    if ((int)(k % count) == index) mine.push_back(sorted[k]);
  return mine;
}

std::pair<int, int> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  char* end1 = nullptr;
  char* end2 = nullptr;
  const std::string a = text.substr(0, slash), b = slash == std::string::npos ? "" : text.substr(slash + 1);
  const long i = std::strtol(a.c_str(), &end1, 10), n = std::strtol(b.c_str(), &end2, 10);
  if (a.empty() || b.empty() || *end1 || *end2 || n < 1 || n > 1000000 || i < 0 || i >= n)
    throw Error("--shard '" + text + "': expected i/n with 0 <= i < n (e.g. --shard $SLURM_ARRAY_TASK_ID/8)");
  return {(int)i, (int)n};
}

MicrographOutputs outputs_for(const std::string& out_dir, const std::string& micrograph) {
  const std::string base = (fs::path(out_dir) / fs::path(micrograph).stem()).string();
  return {base + "_autopick.star", base + ".box", base + ".cbox", base + ".csv", base + ".txt", base + ".png"};
}

bool outputs_done(const MicrographOutputs& o, bool with_png) {
  for (const std::string* p : {&o.star, &o.box, &o.cbox, &o.csv, &o.txt})
    if (!fs::exists(*p)) return false;
  return !with_png || fs::exists(o.png);
}

namespace {

// The micrograph in grey with each pick's box and confidence in its class colour (row 0 at the top, as
// stored: MRC rows, no flip) and a legend of class names. Picks are in micrograph pixels (centres at integers,
// coords.h); a shrunk picture maps edges by s = picture / micrograph, so a centre x lands at (x + 0.5) s - 0.5.
void write_pick_png(const std::string& path, const PickPicture& pic, int mic_width, int mic_height,
                    const std::vector<Pick>& picks, const std::vector<std::string>& names) {
  imgproc::RgbImage c = imgproc::RgbImage::from_gray(pic.width, pic.height, pic.grey);
  const double sx = double(pic.width) / mic_width, sy = double(pic.height) / mic_height;
  const int thick = std::max(1, pic.width / 700), scale = std::max(1, pic.width / 600);
  for (const Pick& p : picks) {
    const imgproc::Rgb8 col = imgproc::class_colour(p.cls);
    const double x1 = (p.x + 0.5 - p.w / 2) * sx - 0.5, x2 = (p.x + 0.5 + p.w / 2) * sx - 0.5;
    const double y1 = (p.y + 0.5 - p.h / 2) * sy - 0.5, y2 = (p.y + 0.5 + p.h / 2) * sy - 0.5;
    imgproc::draw_box(c, x1, y1, x2, y2, col, thick);
    imgproc::draw_text(c, static_cast<int>(x1 + thick + 1), static_cast<int>(y1 + thick + 1), fmt(p.confidence, 2), col,
                       scale);
  }
  for (size_t k = 0; k < names.size(); ++k)
    imgproc::draw_text(c, 4 * scale, 4 * scale + static_cast<int>(k) * 10 * scale, std::to_string(k) + " " + names[k],
                       imgproc::class_colour(static_cast<int>(k)), scale);
  imgproc::write_png(path, c.pixels.data(), c.width, c.height, 3);
}

}  // namespace

PickPicture make_pick_picture(const imgproc::Image& micrograph, int max_side) {
  PickPicture pic;
  const int longer = std::max(micrograph.width, micrograph.height);
  if (max_side > 0 && longer > max_side) {
    const double s = double(max_side) / longer;
    pic.width = std::max(1, (int)std::lround(micrograph.width * s));
    pic.height = std::max(1, (int)std::lround(micrograph.height * s));
    pic.grey = imgproc::to_uint8(imgproc::normalize(imgproc::resize_bicubic(micrograph, pic.width, pic.height), 0.5, 99.5));
  } else {
    pic.width = micrograph.width;
    pic.height = micrograph.height;
    pic.grey = imgproc::to_uint8(imgproc::normalize(micrograph, 0.5, 99.5));
  }
  return pic;
}

void write_micrograph_outputs(const MicrographOutputs& out, const MicrographPicks& all, double conf,
                              const std::vector<std::string>& names, const PickPicture& picture) {
  MicrographPicks kept = all;
  kept.picks.clear();
  for (const Pick& p : all.picks)
    if (p.confidence >= conf) kept.picks.push_back(p);
  if (!picture.grey.empty()) write_pick_png(out.png, picture, all.width, all.height, kept.picks, names);
  write_yolo_txt(out.txt, kept, true);
  write_picks_csv(out.csv, kept);
  write_eman_box(out.box, kept);
  write_cbox(out.cbox, all);
  write_star_coordinates(out.star, kept);  // last: its presence marks the micrograph done
}

int write_pick_index(const std::vector<std::string>& inputs, const std::string& out_dir, const std::string& project_dir,
                     bool with_png) {
  const fs::path base = fs::absolute(project_dir).lexically_normal();
  CoordinateIndex entries;
  for (const std::string& m : inputs) {
    const MicrographOutputs o = outputs_for(out_dir, m);
    if (!outputs_done(o, with_png)) continue;
    entries.emplace_back(fs::absolute(m).lexically_normal().lexically_relative(base).string(),
                         fs::absolute(o.star).lexically_normal().lexically_relative(base).string());
  }
  // Several array tasks may finish together: each writes its own temporary name, then renames (atomic).
  const std::string final_path = (fs::path(out_dir) / "autopick.star").string();
  const std::string part = final_path + "." + std::to_string(::getpid()) + ".part";
  write_autopick_index(part, entries);
  fs::rename(part, final_path);
  return (int)entries.size();
}

}  // namespace yp::picker
