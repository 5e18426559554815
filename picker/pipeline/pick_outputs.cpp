// pick_outputs.cpp: what a pick run writes for each micrograph, whether a micrograph is done (resume), and the
// index over all of them (pick_run.h). Every file goes through a temporary name and a rename, so an interrupted run
// never leaves a half-written file under a final name; the completion record, written last, lists each output
// with its size and SHA-256, and a micrograph is done only when every output it needs is there and matches it
// (a 0-byte STAR or a truncated .box left by another tool, a full disk or a hand edit is picked again).
#include <unistd.h>

#include <algorithm>
#include <cctype>
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

MicrographOutputs outputs_for(const std::string& out_dir, const std::string& micrograph, OutputLayout layout) {
  const std::string stem = micrograph_stem(micrograph);
  const std::string record = (fs::path(out_dir) / kDoneRecordFolder / (stem + ".done")).string();
  if (layout == OutputLayout::Cryolo) {
    const auto in = [&](const char* folder, const char* ext) { return (fs::path(out_dir) / folder / (stem + ext)).string(); };
    return {in("STAR", ".star"), in("EMAN", ".box"), in("CBOX", ".cbox"), in("CSV", ".csv"), in("YOLO", ".txt"),
            in("PNG", ".png"), record};
  }
  const std::string base = (fs::path(out_dir) / stem).string();
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

// The micrograph in grey with each pick's box in its class colour and its confidence on a filled tab, and a legend
// (class names with their colours and pick counts, the threshold) on a dark panel in the top-left corner; row 0 at
// the top, as stored (MRC rows, no flip). Readable at 100 %: lines at least 2 px, text at least twice the font's
// 1-pixel grid (about 14 px tall). Picks are in micrograph pixels (centres at integers, coords.h); a shrunk picture
// maps edges by s = picture / micrograph, so a centre x lands at (x + 0.5) s - 0.5.
void write_pick_png(const std::string& path, const PickPicture& pic, int mic_width, int mic_height,
                    const std::vector<Pick>& picks, const std::vector<std::string>& names, const ConfThreshold& conf) {
  imgproc::RgbImage c = imgproc::RgbImage::from_gray(pic.width, pic.height, pic.grey);
  const double sx = double(pic.width) / mic_width, sy = double(pic.height) / mic_height;
  const int longer = std::max(pic.width, pic.height);
  const int thick = std::max(2, longer / 500), scale = std::max(2, longer / 600);
  std::vector<int> counts(std::max<size_t>(names.size(), 1), 0);
  // Lowest confidence first, so the best boxes and their tabs end up on top.
  std::vector<const Pick*> order;
  for (const Pick& p : picks) order.push_back(&p);
  std::sort(order.begin(), order.end(), [](const Pick* a, const Pick* b) { return a->confidence < b->confidence; });
  for (const Pick* p : order) {
    if (p->cls >= 0 && p->cls < (int)counts.size()) ++counts[p->cls];
    const double x1 = (p->x + 0.5 - p->w / 2) * sx - 0.5, x2 = (p->x + 0.5 + p->w / 2) * sx - 0.5;
    const double y1 = (p->y + 0.5 - p->h / 2) * sy - 0.5, y2 = (p->y + 0.5 + p->h / 2) * sy - 0.5;
    imgproc::draw_labelled_box(c, (float)x1, (float)y1, (float)x2, (float)y2, fmt(p->confidence, 2), p->cls, thick,
                                 scale);
  }
  // The legend: one line per class and the threshold, white on a dark panel.
  std::vector<std::pair<std::string, int>> lines;  // text, class (-1: no swatch)
  for (size_t k = 0; k < counts.size(); ++k)
    lines.emplace_back((k < names.size() ? names[k] : "class " + std::to_string(k)) + " (" + std::to_string(counts[k]) +
                           ")",
                       (int)k);
  lines.emplace_back("confidence >= " + conf.str(names), -1);
  const int pad = 3 * scale, line_h = imgproc::text_height(scale) + 2 * scale, swatch = imgproc::text_height(scale);
  int text_w = 0;
  for (const auto& l : lines) text_w = std::max(text_w, imgproc::text_width(l.first, scale));
  imgproc::fill_rectangle(c, 0, 0, 3 * pad + swatch + text_w, 2 * pad + line_h * (int)lines.size(), imgproc::Rgb8{20, 20, 20});
  for (size_t i = 0; i < lines.size(); ++i) {
    const int y = pad + (int)i * line_h;
    if (lines[i].second >= 0)
      imgproc::fill_rectangle(c, pad, y, pad + swatch - 1, y + swatch - 1, imgproc::class_colour(lines[i].second));
    imgproc::draw_text(c, 2 * pad + swatch, y, lines[i].first, imgproc::Rgb8{255, 255, 255}, scale);
  }
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

std::string class_folder(const std::vector<std::string>& names, int cls) {
  std::string name = cls < (int)names.size() ? names[cls] : "";
  for (char& c : name)
    if (!std::isalnum((unsigned char)c) && c != '-' && c != '_') c = '_';
  return "class" + std::to_string(cls + 1) + (name.empty() ? "" : "_" + name);
}

// STARDIR/classK_NAME/MIC_autopick.star, STARDIR being the folder of the micrograph's own STAR file.
static std::string class_star_path(const std::string& star_dir, const std::vector<std::string>& names, int cls,
                                   const std::string& micrograph) {
  return (fs::path(star_dir) / class_folder(names, cls) / (micrograph_stem(micrograph) + "_autopick.star")).string();
}

void write_micrograph_outputs(const MicrographOutputs& out, const MicrographPicks& all, const ConfThreshold& conf,
                              const std::vector<std::string>& names, const PickPicture& picture,
                              const std::string& split_classes_of) {
  MicrographPicks kept = all;
  kept.picks.clear();
  for (const Pick& p : all.picks)
    if (conf.keeps(p)) kept.picks.push_back(p);
  if (!split_classes_of.empty())
    for (int k = 0; k < (int)std::max<size_t>(names.size(), 1); ++k) {
      MicrographPicks one = kept;
      one.picks.clear();
      for (const Pick& p : kept.picks)
        if (p.cls == k) one.picks.push_back(p);
      const std::string path = class_star_path(fs::path(out.star).parent_path().string(), names, k, split_classes_of);
      fs::create_directories(fs::path(path).parent_path());
      write_star_coordinates(path, one);
    }
  if (!picture.grey.empty()) write_pick_png(out.png, picture, all.width, all.height, kept.picks, names, conf);
  write_yolo_txt(out.txt, kept, true);
  write_picks_csv(out.csv, kept);
  write_eman_box(out.box, kept);
  write_cbox(out.cbox, all);
  write_star_coordinates(out.star, kept);
  write_done_record(out, needed_outputs(out, !picture.grey.empty()));  // last: the micrograph is done
}

std::string project_relative(const std::string& path, const std::string& project_dir) {
  // Both sides resolved the same way (symbolic links and "..", from the working directory), so the result names
  // the file from the project folder whatever the working directory was; a path that cannot be expressed
  // relative to the project (another root) stays absolute.
  // A path that cannot be resolved (a symbolic-link loop: that micrograph fails on its own later) is taken as written.
  const auto resolved = [](const std::string& p) {
    std::error_code ec;
    const fs::path r = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : r;
  };
  const fs::path base = resolved(project_dir);
  const fs::path full = resolved(path);
  const fs::path rel = full.lexically_relative(base);
  return rel.empty() ? full.string() : rel.string();
}

void check_index_paths(const std::vector<std::string>& inputs, const std::string& out_dir,
                       const std::string& project_dir) {
  for (const std::string& m : inputs) {
    const std::string star = project_relative(outputs_for(out_dir, m).star, project_dir);
    const std::string mic = project_relative(parse_micrograph_entry(m).file, project_dir);
    if (star.find_first_of(" \t") != std::string::npos)
      throw Error(out_dir + ": the output folder's path has a space, which RELION's autopick.star cannot hold ('" +
                  star + "'): choose another -o");
    if (mic.find_first_of(" \t") != std::string::npos)
      throw Error(m + ": the micrograph's path has a space, which RELION's autopick.star cannot hold ('" + mic +
                  "'): rename or link it");
  }
}

std::vector<std::string> done_micrographs(const std::vector<std::string>& inputs, const std::string& out_dir,
                                         bool with_png, OutputLayout layout) {
  std::vector<std::string> done;
  for (const std::string& m : inputs)
    if (outputs_done(outputs_for(out_dir, m, layout), with_png)) done.push_back(m);
  return done;
}

int write_pick_index(const std::vector<std::string>& done, const std::string& out_dir, const std::string& project_dir,
                     OutputLayout layout) {
  CoordinateIndex entries;
  for (const std::string& m : done) {
    const MicrographOutputs o = outputs_for(out_dir, m, layout);
    const MicrographRef ref = parse_micrograph_entry(m);
    const std::string mic = project_relative(ref.file, project_dir);
    entries.emplace_back(ref.section < 0 ? mic : section_entry(mic, ref.section), project_relative(o.star, project_dir));
  }
  // Several array tasks may finish together: the atomic writer gives each its own temporary name.
  write_autopick_index((fs::path(out_dir) / "autopick.star").string(), entries);
  return (int)entries.size();
}

void write_split_indexes(const std::vector<std::string>& done, const std::string& out_dir,
                         const std::string& project_dir, const std::vector<std::string>& names, OutputLayout layout) {
  const std::string star_dir = fs::path(outputs_for(out_dir, "x", layout).star).parent_path().string();
  for (int k = 0; k < (int)std::max<size_t>(names.size(), 1); ++k) {
    CoordinateIndex entries;
    for (const std::string& m : done) {
      const std::string star = class_star_path(star_dir, names, k, m);
      if (!fs::exists(star)) continue;
      const MicrographRef ref = parse_micrograph_entry(m);
      const std::string mic = project_relative(ref.file, project_dir);
      entries.emplace_back(ref.section < 0 ? mic : section_entry(mic, ref.section), project_relative(star, project_dir));
    }
    const std::string final_path = (fs::path(star_dir) / class_folder(names, k) / "autopick.star").string();
    fs::create_directories(fs::path(final_path).parent_path());
    write_autopick_index(final_path, entries);  // atomic: concurrent array tasks each use their own temporary name
  }
}

int write_combined_particles(const std::vector<std::string>& done, const std::string& out_dir,
                             const std::string& project_dir, OutputLayout layout) {
  std::vector<MicrographPicks> all;
  int picks = 0;
  for (const std::string& m : done) {
    const MicrographOutputs o = outputs_for(out_dir, m, layout);
    MicrographPicks mic = read_star_coordinates(o.star, 0);
    const MicrographRef ref = parse_micrograph_entry(m);
    const std::string name = project_relative(ref.file, project_dir);
    mic.micrograph = ref.section < 0 ? name : section_entry(name, ref.section);
    picks += (int)mic.picks.size();
    all.push_back(std::move(mic));
  }
  write_star_particles((fs::path(out_dir) / "particles.star").string(), all);  // atomic, as the index
  return picks;
}

}  // namespace yp::picker
