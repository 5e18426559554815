// import_labels.cpp: coordinates and masks -> YOLO labels (import_labels.h).
#include "train/import_labels.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>

#include "imgproc/image_io.h"
#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "picker/pick_io.h"
#include "util/error.h"
#include "util/text.h"

namespace fs = std::filesystem;

namespace yp::train {

namespace {

// CSV with x, y and optionally a diameter (CryoPPP: "X-Coordinate,Y-Coordinate,Diameter") or w/h and class.
picker::MicrographPicks read_generic_csv(const std::string& path) {
  std::istringstream in(read_text_file(path));
  std::string line;
  int line_no = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_no;
    if (!trim(line).empty()) header = split_char(trim(line), ',');
  }
  if (header.empty()) throw Error(path + ": empty CSV");
  int cx = -1, cy = -1, cd = -1, cw = -1, ch = -1, cc = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string h = to_lower(trim(header[i]));
    const int k = static_cast<int>(i);
    if (h == "x" || h.rfind("x-", 0) == 0 || h.rfind("x_", 0) == 0 || h == "xcoord" || h == "_rlncoordinatex") cx = k;
    else if (h == "y" || h.rfind("y-", 0) == 0 || h.rfind("y_", 0) == 0 || h == "ycoord" || h == "_rlncoordinatey") cy = k;
    else if (h.find("diam") != std::string::npos) cd = k;
    else if (h == "w" || h == "width") cw = k;
    else if (h == "h" || h == "height") ch = k;
    else if (h == "class" || h == "cls") cc = k;
  }
  if (cx < 0 || cy < 0)
    fail_at(path, line_no, "CSV header needs x and y columns (e.g. 'x,y,diameter' or 'X-Coordinate,Y-Coordinate')");
  picker::MicrographPicks mic;
  mic.micrograph = picker::micrograph_key(path);
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const auto tok = split_char(trim(line), ',');
    if (tok.size() != header.size())
      fail_at(path, line_no, "expected " + std::to_string(header.size()) + " columns, found " + std::to_string(tok.size()));
    picker::Pick p;
    p.x = parse_double(tok[cx], path, line_no, "x");
    p.y = parse_double(tok[cy], path, line_no, "y");
    if (cd >= 0) p.w = p.h = parse_double(tok[cd], path, line_no, "diameter");
    if (cw >= 0) p.w = parse_double(tok[cw], path, line_no, "w");
    if (ch >= 0) p.h = parse_double(tok[ch], path, line_no, "h");
    if (cc >= 0) p.cls = parse_int(tok[cc], path, line_no, "class");
    mic.picks.push_back(p);
  }
  return mic;
}

}  // namespace

picker::MicrographPicks read_particle_coordinates(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".star") return picker::read_star_coordinates(path, 0.0);  // class: the reader maps _rlnClassNumber
  if (ext == ".box") return picker::read_eman_box(path);
  if (ext == ".cbox") return picker::read_cbox(path);
  if (ext == ".csv") return read_generic_csv(path);
  throw Error(path + ": unknown coordinate format (expected .star, .box, .cbox or .csv)");
}

std::vector<YoloLabel> picks_to_labels(const picker::MicrographPicks& mic, int width, int height, const ImportOptions& opt) {
  if (width <= 0 || height <= 0) throw Error(mic.micrograph + ": image size unknown");
  std::vector<YoloLabel> out;
  for (const picker::Pick& p : mic.picks) {
    double w = p.w, h = p.h;
    if (opt.force_box_size || w <= 0 || h <= 0) w = h = opt.box_size;
    if (w <= 0 || h <= 0)
      throw Error(mic.micrograph + ": the coordinates carry no box size; give one (--box)");
    const double row = opt.rows == picker::ImageRows::FlippedY ? picker::flip_row(p.y, height) : p.y;
    // pixel edges of the box (pixel i spans [i - 0.5, i + 0.5], shifted by +0.5 to [0, W] edge coordinates)
    const double cx = p.x + 0.5, cy = row + 0.5;
    if (cx < 0 || cy < 0 || cx > width || cy > height) continue;
    const double x1 = std::max(0.0, cx - w / 2), x2 = std::min<double>(width, cx + w / 2);
    const double y1 = std::max(0.0, cy - h / 2), y2 = std::min<double>(height, cy + h / 2);
    YoloLabel l;
    l.cls = opt.single_class >= 0 ? opt.single_class : p.cls;
    if (l.cls < 0)
      throw Error(mic.micrograph + ": particle class " + std::to_string(p.cls) + " is negative; import as one class (--class 0)");
    l.cx = (x1 + x2) / 2 / width;
    l.cy = (y1 + y2) / 2 / height;
    l.w = (x2 - x1) / width;
    l.h = (y2 - y1) / height;
    out.push_back(l);
  }
  return out;
}

picker::MicrographPicks mask_to_picks(const imgproc::Image& mask, const MaskCentreParams& params, double box_size) {
  // Bytes as stb's 8-bit gray conversion gives them (colour luma truncated), which the threshold was set on.
  std::vector<uint8_t> bytes(mask.data.size());
  for (size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<uint8_t>(std::clamp(mask.data[k], 0.0f, 255.0f));
  picker::MicrographPicks mic;
  mic.width = mask.width;
  mic.height = mask.height;
  for (const Centre& c : mask_centres(bytes.data(), mask.width, mask.height, params)) {
    picker::Pick p;
    p.x = c.x;
    p.y = c.y;
    p.w = p.h = box_size;
    mic.picks.push_back(p);
  }
  return mic;
}

ImportReport import_folder(const std::vector<std::string>& images, const std::string& coords_dir,
                           const std::string& labels_dir, const ImportOptions& opt, bool write_empty) {
  std::map<std::string, std::string> coords;  // micrograph key -> file
  if (!fs::is_directory(coords_dir)) throw Error(coords_dir + ": not a folder");
  for (const auto& f : fs::directory_iterator(coords_dir)) {
    const std::string ext = lower_extension(f.path().string());
    if (ext == ".star" || ext == ".box" || ext == ".cbox" || ext == ".csv")
      coords.emplace(picker::micrograph_key(f.path().string()), f.path().string());
  }
  ImportReport rep;
  for (const std::string& img : list_images(images, ".")) {
    ++rep.images;
    const std::string key = picker::micrograph_key(img);
    const auto it = coords.find(key);
    const std::string out = (fs::path(labels_dir) / fs::path(img).stem()).string() + ".txt";
    if (it == coords.end()) {
      if (write_empty) write_yolo_labels(out, {});
      continue;
    }
    const auto [w, h] = imgproc::read_image_size(img);
    const picker::MicrographPicks mic = read_particle_coordinates(it->second);
    const auto labels = picks_to_labels(mic, w, h, opt);
    rep.particles += static_cast<int>(labels.size());
    rep.dropped += static_cast<int>(mic.picks.size() - labels.size());
    write_yolo_labels(out, labels);
    ++rep.labelled;
  }
  return rep;
}

}  // namespace yp::train
