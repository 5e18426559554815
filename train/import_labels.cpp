// import_labels.cpp: coordinates and masks -> YOLO labels (import_labels.h).
#include "train/import_labels.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "imgproc/image_io.h"
#include "picker/pick_io.h"
#include "util/error.h"
#include "util/text.h"

namespace fs = std::filesystem;

namespace yp::train {

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
    const picker::MicrographPicks mic = picker::read_picks(it->second, {});
    const auto labels = picks_to_labels(mic, w, h, opt);
    rep.particles += static_cast<int>(labels.size());
    rep.dropped += static_cast<int>(mic.picks.size() - labels.size());
    write_yolo_labels(out, labels);
    ++rep.labelled;
  }
  return rep;
}

}  // namespace yp::train
