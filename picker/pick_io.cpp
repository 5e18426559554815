// pick_io.cpp: format dispatch by extension and folder loading (pick_io.h).
#include "picker/pick_io.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "util/error.h"
#include "util/text.h"

namespace fs = std::filesystem;

namespace yp::picker {

// Lower number = preferred when a folder holds several files for one micrograph.
static int format_rank(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  if (name == "autopick.star" || name == "manualpick.star" || ends_with(name, "_labels.csv")) return -1;
  // Marked positions beside the labels (formats_text.h) and a labels folder's README are not pick files.
  if (ends_with(name, ".excluded.txt") || ends_with(name, ".uncertain.txt") || name.rfind("README", 0) == 0) return -1;
  const std::string e = lower_extension(path);
  if (e == ".cbox") return 0;
  if (e == ".star") return 1;
  if (e == ".csv") return 2;
  if (e == ".box") return 3;
  if (e == ".txt") return 4;
  return -1;
}

bool is_pick_file(const std::string& path) { return format_rank(path) >= 0; }

static std::pair<int, int> size_of_sibling_image(const std::string& txt_path) {
  const fs::path dir = fs::path(txt_path).parent_path();
  const std::string key = micrograph_key(txt_path);
  for (const char* ext : {".mrc", ".png", ".jpg", ".jpeg", ".tif"}) {
    const fs::path p = dir / (key + ext);
    if (fs::exists(p)) return imgproc::read_image_size(p.string());
  }
  throw Error(txt_path + ": YOLO txt needs the image size: put " + key + ".png/.mrc beside it or pass --size WxH");
}

MicrographPicks read_picks(const std::string& path, const ReadOptions& opt) {
  const std::string e = lower_extension(path);
  if (e == ".star") return read_star_coordinates(path, opt.box_size);
  if (e == ".box") return read_eman_box(path);
  if (e == ".cbox") return read_cbox(path);
  if (e == ".csv") return read_picks_csv(path);
  if (e == ".txt") {
    std::pair<int, int> size{opt.width, opt.height};
    if (size.first <= 0 || size.second <= 0) size = size_of_sibling_image(path);
    return read_yolo_txt(path, size.first, size.second, opt.rows);
  }
  throw Error(path + ": unknown pick format (expected .star, .box, .cbox, .csv or .txt)");
}

std::map<std::string, MicrographPicks> read_pick_folder(const std::string& dir, const ReadOptions& opt) {
  if (!fs::is_directory(dir)) throw Error(dir + ": not a folder");
  std::map<std::string, std::pair<int, std::string>> best;  // key -> (rank, path)
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const int rank = format_rank(path);
    if (rank < 0 || (!opt.only_ext.empty() && lower_extension(path) != opt.only_ext)) continue;
    const std::string key = micrograph_key(path);
    auto it = best.find(key);
    if (it == best.end() || rank < it->second.first) best[key] = {rank, path};
  }
  std::map<std::string, MicrographPicks> out;
  for (const auto& [key, rp] : best) {
    MicrographPicks m = read_picks(rp.second, opt);
    m.micrograph = key;
    out[key] = std::move(m);
  }
  return out;
}

}  // namespace yp::picker
