// pick_outputs.cpp: what a pick run writes for each micrograph, whether a micrograph is done (resume), and the
// index over all of them (pick_run.h). Every file goes through a temporary name and a rename, the STAR last, so a
// micrograph whose STAR exists was finished and an interrupted run never leaves a half-written file behind.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

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

void write_micrograph_outputs(const MicrographOutputs& out, const MicrographPicks& all, const ConfThreshold& conf,
                              const std::vector<std::string>& names, const PickPicture& picture) {
  MicrographPicks kept = all;
  kept.picks.clear();
  for (const Pick& p : all.picks)
    if (conf.keeps(p)) kept.picks.push_back(p);
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
