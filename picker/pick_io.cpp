// pick_io.cpp: format dispatch by extension and folder loading (pick_io.h).
#include "picker/pick_io.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <stb_image.h>

#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "tensor/tensor.h"  // yp::Error

namespace fs = std::filesystem;

namespace yp::picker {

static std::string lower_ext(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Lower number = preferred when a folder holds several files for one micrograph.
static int format_rank(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  if (name == "autopick.star" || name == "manualpick.star" || ends_with(name, "_labels.csv")) return -1;
  // Marked positions beside the labels (formats_text.h) and a labels folder's README are not pick files.
  if (ends_with(name, ".excluded.txt") || ends_with(name, ".uncertain.txt") || name.rfind("README", 0) == 0) return -1;
  const std::string e = lower_ext(path);
  if (e == ".cbox") return 0;
  if (e == ".star") return 1;
  if (e == ".csv") return 2;
  if (e == ".box") return 3;
  if (e == ".txt") return 4;
  return -1;
}

bool is_pick_file(const std::string& path) { return format_rank(path) >= 0; }

std::pair<int, int> image_size_from_header(const std::string& path) {
  const std::string e = lower_ext(path);
  if (e == ".mrc" || e == ".mrcs") {
    std::ifstream in(path, std::ios::binary);
    int32_t nxy[2] = {0, 0};
    if (!in.read(reinterpret_cast<char*>(nxy), sizeof nxy)) throw Error(path + ": too short for an MRC header");
    if (nxy[0] <= 0 || nxy[1] <= 0 || nxy[0] > (1 << 20) || nxy[1] > (1 << 20))
      throw Error(path + ": implausible MRC size " + std::to_string(nxy[0]) + " x " + std::to_string(nxy[1]));
    return {nxy[0], nxy[1]};
  }
  int w = 0, h = 0, c = 0;
  if (!stbi_info(path.c_str(), &w, &h, &c)) throw Error(path + ": cannot read the image size (" + stbi_failure_reason() + ")");
  return {w, h};
}

static std::pair<int, int> size_of_sibling_image(const std::string& txt_path) {
  const fs::path dir = fs::path(txt_path).parent_path();
  const std::string key = micrograph_key(txt_path);
  for (const char* ext : {".mrc", ".png", ".jpg", ".jpeg", ".tif"}) {
    const fs::path p = dir / (key + ext);
    if (fs::exists(p) && std::strcmp(ext, ".tif") != 0) return image_size_from_header(p.string());
  }
  throw Error(txt_path + ": YOLO txt needs the image size: put " + key + ".png/.mrc beside it or pass --size WxH");
}

MicrographPicks read_picks(const std::string& path, const ReadOptions& opt) {
  const std::string e = lower_ext(path);
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
    if (rank < 0 || (!opt.only_ext.empty() && lower_ext(path) != opt.only_ext)) continue;
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
