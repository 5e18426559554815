// cmd_detect.cpp: `yolopick detect` - YOLOv5 detect.py on pictures: letterbox, forward (eval), NMS, boxes
// back to the picture; writes NAME.png (annotated) and NAME.txt (YOLO format) per picture.
// The pipeline is yolo/infer.h; the rules and their derivation are in docs/inference.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <stb/stb_image.h>

#include "apps/args.h"
#include "apps/commands.h"
#include "imgproc/annotate.h"
#include "imgproc/image_io.h"
#include "picker/coords.h"
#include "util/error.h"
#include "util/text.h"
#include "yolo/infer.h"

namespace yp::app {

namespace fs = std::filesystem;

static const char* kDetectUsage =
    "usage: yolopick detect --model MODEL --source FILE... | DIR [options]\n"
    "  --model PATH        YOLOv5 checkpoint (.pt) or yolopick .safetensors\n"
    "  --source PATHS      pictures (.jpg .jpeg .png .bmp) or folders of them; several may follow\n"
    "  -o DIR              output folder (default runs/detect): NAME.png annotated, NAME.txt boxes\n"
    "  --conf T            score threshold, obj * cls > T (default 0.25)\n"
    "  --iou T             NMS IoU threshold (default 0.45)\n"
    "  --imgsz N           network input side, rounded up to a multiple of 32 (default 640)\n"
    "  --max-det N         at most N boxes per picture (default 1000)\n"
    "  --classes A,B,...   keep only these class indices\n"
    "  --agnostic          one NMS over all classes\n"
    "  --multi-label       a box may be reported for every class above --conf\n"
    "  --square            pad to imgsz x imgsz instead of the smallest multiple of 32\n"
    "NAME.txt has one line per box: class cx cy w h conf, normalised to the picture's width and height.\n";

namespace {

bool is_picture(const fs::path& p) {
  const std::string ext = lower_extension(p.string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

std::vector<fs::path> list_pictures(const std::vector<std::string>& sources) {
  std::vector<fs::path> out;
  for (const std::string& s : sources) {
    if (fs::is_directory(s)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(s))
        if (e.is_regular_file() && is_picture(e.path())) found.push_back(e.path());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw Error(s + ": no pictures (.jpg .jpeg .png .bmp) in this folder");
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(s)) {
      out.emplace_back(s);
    } else {
      throw Error(s + ": no such file or folder");
    }
  }
  return out;
}

struct RgbPicture {
  int width = 0, height = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> pixels{nullptr, stbi_image_free};
};

// stb_image, forced to 3 channels (grey pictures are repeated, alpha dropped), after checking the header's
// size so that a corrupt header cannot make us allocate gigabytes.
RgbPicture read_rgb(const std::string& path) {
  int w = 0, h = 0, c = 0;
  if (!stbi_info(path.c_str(), &w, &h, &c))
    throw Error(path + ": not a readable JPEG/PNG/BMP picture (" + stbi_failure_reason() + ")");
  if (w <= 0 || h <= 0 || int64_t(w) * h > imgproc::kMaxPixels)
    throw Error(path + ": picture size " + std::to_string(w) + "x" + std::to_string(h) + " is out of range");
  RgbPicture p;
  p.pixels.reset(stbi_load(path.c_str(), &p.width, &p.height, &c, 3));
  if (!p.pixels) throw Error(path + ": cannot decode (" + std::string(stbi_failure_reason()) + ")");
  return p;
}

std::string yolo_txt(const std::vector<yolo::Detection>& dets, int width, int height) {
  std::string out;
  char line[160];
  for (const yolo::Detection& d : dets) {
    std::snprintf(line, sizeof line, "%d %.6f %.6f %.6f %.6f %.5f\n", d.cls, (d.x1 + d.x2) / 2.0 / width,
                  (d.y1 + d.y2) / 2.0 / height, (d.x2 - d.x1) / double(width), (d.y2 - d.y1) / double(height), d.conf);
    out += line;
  }
  return out;
}

// "2 persons, 1 tie" as detect.py prints, classes in index order.
std::string summary(const std::vector<yolo::Detection>& dets, const std::vector<std::string>& names) {
  std::map<int, int> counts;
  for (const auto& d : dets) ++counts[d.cls];
  std::string s;
  for (const auto& [cls, n] : counts) {
    if (!s.empty()) s += ", ";
    s += std::to_string(n) + " " + names[static_cast<size_t>(cls)] + (n > 1 ? "s" : "");
  }
  return s.empty() ? "no detections" : s;
}

}  // namespace

int cmd_detect(const Args& args) {
  std::string model_path, out = "runs/detect";
  std::vector<std::string> sources;
  yolo::DetectOptions opt;
  ArgReader r(args, "detect");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kDetectUsage);
      return 0;
    } else if (r.is("--model")) model_path = r.value();
    else if (r.is("--source")) {
      for (std::string& s : r.values()) sources.push_back(std::move(s));
    } else if (r.is("-o", "--output")) out = r.value();
    else if (r.is("--conf")) opt.nms.conf_thres = static_cast<float>(r.fraction());
    else if (r.is("--iou")) opt.nms.iou_thres = r.fraction();
    else if (r.is("--imgsz")) opt.image_size = r.integer(32, 8192);
    else if (r.is("--max-det")) opt.nms.max_det = r.integer(1, 100000);
    else if (r.is("--agnostic")) opt.nms.agnostic = true;
    else if (r.is("--multi-label")) opt.nms.multi_label = true;
    else if (r.is("--square")) opt.square = true;
    else if (r.is("--classes")) {
      for (const std::string& item : split_char(r.value(), ','))
        opt.nms.classes.push_back(parse_integer("--classes", item, 0, 100000));
    } else r.unknown();
  }
  if (model_path.empty() || sources.empty())
    throw Error("--model PATH and --source FILES|DIR are required (yolopick detect --help)");
  const std::vector<fs::path> pictures = list_pictures(sources);
  std::map<std::string, std::string> stems;  // output name -> source, to refuse two pictures writing one file
  for (const auto& p : pictures) {
    const auto [it, fresh] = stems.emplace(p.stem().string(), p.string());
    if (!fresh) throw Error(p.string() + " and " + it->second + " would both write " + p.stem().string() + ".png");
  }

  const yolo::Detector det = yolo::load_detector(model_path);
  const std::vector<std::string>& names = det.names;
  opt.stride = det.model->max_stride();
  const yolo::ForwardFn forward = det.forward();
  // detect is detect.py: pictures go in as they are. A picker trained on pre-processed micrographs would see
  // something else than in training, so say so instead of silently detecting on the wrong input.
  if (!det.preprocessing.empty())
    std::fprintf(stderr,
                 "note: %s was trained on pre-processed micrographs (its chain is stored in the file); detect feeds "
                 "pictures as they are - use `yolopick pick` for micrographs, which applies the chain\n",
                 model_path.c_str());

  for (const int c : opt.nms.classes)
    if (c >= static_cast<int>(names.size()))
      throw Error("--classes: class " + std::to_string(c) + " but the model has " + std::to_string(names.size()));
  fs::create_directories(out);
  for (size_t k = 0; k < pictures.size(); ++k) {
    const std::string path = pictures[k].string();
    const RgbPicture pic = read_rgb(path);
    const auto t0 = std::chrono::steady_clock::now();
    const yolo::PreparedInput in = yolo::prepare_input(pic.pixels.get(), pic.width, pic.height, opt);
    const std::vector<yolo::Detection> dets = yolo::postprocess(forward(in.input), in.geometry, opt);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& d : dets)
      if (d.cls >= static_cast<int>(names.size())) throw Error(model_path + ": the model predicts class " +
                                                                std::to_string(d.cls) + " but has only " +
                                                                std::to_string(names.size()) + " names");

    imgproc::RgbImage canvas(pic.width, pic.height);
    std::copy_n(pic.pixels.get(), canvas.pixels.size(), canvas.pixels.begin());
    // Lowest score first, so the best boxes and their labels end up on top.
    for (auto it = dets.rbegin(); it != dets.rend(); ++it) {
      char label[96];
      std::snprintf(label, sizeof label, "%s %.2f", names[static_cast<size_t>(it->cls)].c_str(), it->conf);
      imgproc::draw_labelled_box(canvas, it->x1, it->y1, it->x2, it->y2, label, it->cls);
    }
    const fs::path stem = fs::path(out) / pictures[k].stem();
    imgproc::write_png(stem.string() + ".png", canvas.pixels.data(), canvas.width, canvas.height, 3);
    write_text_file_atomic(stem.string() + ".txt", yolo_txt(dets, pic.width, pic.height));
    std::printf("image %zu/%zu %s: %dx%d %s, %.1f ms\n", k + 1, pictures.size(), path.c_str(),
                in.geometry.output_height, in.geometry.output_width, summary(dets, names).c_str(), ms);
  }
  std::printf("results saved to %s (NAME.png, NAME.txt)\n", out.c_str());
  return 0;
}

}  // namespace yp::app
