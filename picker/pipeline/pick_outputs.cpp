// pick_outputs.cpp: what a pick run writes for each micrograph, whether a micrograph is done (resume), and the
// index over all of them (pick_run.h). Every file goes through a temporary name and a rename, so an interrupted run
// never leaves a half-written file under a final name; the completion record, written last, lists each output
// with its size and SHA-256, and a micrograph is done only when every output it needs is there and matches it
// (a 0-byte STAR or a truncated .box left by another tool, a full disk or a hand edit is picked again).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "imgproc/annotate.h"
#include "imgproc/image_io.h"
#include "imgproc/normalize.h"
#include "imgproc/resize.h"
#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "picker/pipeline/pick_run.h"
#include "util/sha256.h"
#include "util/text.h"

namespace yp::picker {

namespace fs = std::filesystem;

MicrographOutputs outputs_for(const std::string& out_dir, const std::string& micrograph) {
  const std::string base = (fs::path(out_dir) / fs::path(micrograph).stem()).string();
  const std::string record =
      (fs::path(out_dir) / kDoneRecordFolder / (fs::path(micrograph).stem().string() + ".done")).string();
  return {base + "_autopick.star", base + ".box", base + ".cbox", base + ".csv", base + ".txt", base + ".png", record};
}

namespace {

// Output names in the record are relative to the output folder, so a moved folder stays done.
std::string record_name(const MicrographOutputs& o, const std::string& path) {
  return fs::path(path).lexically_relative(fs::path(o.record).parent_path().parent_path()).generic_string();
}

// One line per output: "<bytes> <sha256> <name>".
void write_done_record(const MicrographOutputs& o, const std::vector<const std::string*>& written) {
  std::string text;
  for (const std::string* p : written)
    text += std::to_string(fs::file_size(*p)) + " " + sha256_file(*p) + " " + record_name(o, *p) + "\n";
  fs::create_directories(fs::path(o.record).parent_path());
  write_text_file_atomic(o.record, text);
}

std::vector<const std::string*> needed_outputs(const MicrographOutputs& o, bool with_png) {
  std::vector<const std::string*> v = {&o.star, &o.box, &o.cbox, &o.csv, &o.txt};
  if (with_png) v.push_back(&o.png);
  return v;
}

}  // namespace

bool outputs_done(const MicrographOutputs& o, bool with_png) {
  std::error_code ec;
  if (!fs::is_regular_file(o.record, ec)) return false;
  try {
    std::map<std::string, std::pair<uintmax_t, std::string>> listed;
    std::istringstream in(read_text_file(o.record));
    uintmax_t bytes = 0;
    std::string sha, name;
    while (in >> bytes >> sha && std::getline(in, name)) listed[trim(name)] = {bytes, sha};
    for (const std::string* p : needed_outputs(o, with_png)) {
      const auto it = listed.find(record_name(o, *p));
      if (it == listed.end() || !fs::is_regular_file(*p, ec) || fs::file_size(*p, ec) != it->second.first ||
          sha256_file(*p) != it->second.second)
        return false;
    }
    return true;
  } catch (const std::exception&) {  // unreadable: not done, the run writes it again
    return false;
  }
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
  write_star_coordinates(out.star, kept);
  write_done_record(out, needed_outputs(out, !picture.grey.empty()));  // last: the micrograph is done
}

namespace {
// The index row of micrograph m: its path and its STAR's, relative to the project folder.
std::pair<std::string, std::string> index_entry(const std::string& m, const std::string& out_dir, const fs::path& base) {
  return {fs::absolute(m).lexically_normal().lexically_relative(base).string(),
          fs::absolute(outputs_for(out_dir, m).star).lexically_normal().lexically_relative(base).string()};
}
}  // namespace

void check_index_paths(const std::vector<std::string>& inputs, const std::string& out_dir,
                       const std::string& project_dir) {
  const fs::path base = fs::absolute(project_dir).lexically_normal();
  for (const std::string& m : inputs) {
    const auto [mic, star] = index_entry(m, out_dir, base);
    if (star.find_first_of(" \t") != std::string::npos)
      throw Error(out_dir + ": the output folder's path has a space, which RELION's autopick.star cannot hold ('" +
                  star + "'): choose another -o");
    if (mic.find_first_of(" \t") != std::string::npos)
      throw Error(m + ": the micrograph's path has a space, which RELION's autopick.star cannot hold ('" + mic +
                  "'): rename or link it");
  }
}

int write_pick_index(const std::vector<std::string>& inputs, const std::string& out_dir, const std::string& project_dir,
                     bool with_png) {
  const fs::path base = fs::absolute(project_dir).lexically_normal();
  CoordinateIndex entries;
  for (const std::string& m : inputs)
    if (outputs_done(outputs_for(out_dir, m), with_png)) entries.push_back(index_entry(m, out_dir, base));
  // Several array tasks may finish together: the atomic writer gives each its own temporary name.
  write_autopick_index((fs::path(out_dir) / "autopick.star").string(), entries);
  return (int)entries.size();
}

}  // namespace yp::picker
