// cmd_detect.cpp: `yolopick detect` - YOLOv5 detect.py on pictures: the network input as the model file records it
// (a YOLOv5 .pt: detect.py's letterbox; a yolopick model: its training's pipeline, chain included), forward (eval),
// NMS, boxes back to the picture; writes NAME.png (annotated) and NAME.txt (YOLO format) per picture.
// The pipeline is yolo/detector.h; the rules and their derivation are in docs/inference.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/run_record.h"
#include "imgproc/annotate.h"
#include "imgproc/image_io.h"
#include "util/error.h"
#include "util/text.h"
#include "yolo/detector.h"

namespace yp::app {

namespace fs = std::filesystem;

static const char* kDetectUsage =
    "usage: yolopick detect -m MODEL PICTURES... [options]\n"
    "example: yolopick detect -m yolov5n.pt bus.jpg zidane.jpg -t 0.4\n"
    "  -m, --model PATH    YOLOv5 checkpoint (.pt) or yolopick .safetensors\n"
    "  PICTURES            (or -i, --source) pictures (.jpg .jpeg .png .bmp .tif) or folders of them\n"
    "  -o DIR              output folder: NAME.png annotated, NAME.txt boxes, run.json (default: a new\n"
    "                      runs/detect/exp, exp2, exp3, ... every run, as YOLOv5 does)\n"
    "  -t, --conf T        score threshold, obj * cls > T (default 0.25)\n"
    "  --iou T             NMS IoU threshold (default 0.45)\n"
    "  --imgsz N           network input side, rounded up to a multiple of 32 (default: the model's, 640 for a .pt;\n"
    "                      the tile side for a model that records a scale)\n"
    "  --apix A            pixel size of the pictures (A/px): required when the model records a scale (it then\n"
    "                      resamples every picture to its own pixel size and tiles it, as pick does)\n"
    "  --max-det N         at most N boxes per picture (default 1000)\n"
    "  --classes A,B,...   keep only these class indices\n"
    "  --agnostic          one NMS over all classes\n"
    "  --multi-label       a box may be reported for every class above --conf\n"
    "  --square            pad to imgsz x imgsz instead of the smallest multiple of 32 (YOLOv5 .pt models)\n"
    "NAME.txt has one line per box: class cx cy w h conf, normalised to the picture's width and height.\n";

namespace {

// PROJECT/NAME, or the first of PROJECT/NAME2, NAME3, ... that does not exist yet (YOLOv5's increment_path).
std::string next_run_folder(const std::string& project, const std::string& name) {
  for (int k = 1;; ++k) {
    const fs::path p = fs::path(project) / (k == 1 ? name : name + std::to_string(k));
    if (!fs::exists(p)) return p.string();
  }
}

bool is_picture(const fs::path& p) {
  const std::string ext = lower_extension(p.string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".tif" || ext == ".tiff";
}

std::vector<fs::path> list_pictures(const std::vector<std::string>& sources) {
  std::vector<fs::path> out;
  for (const std::string& s : sources) {
    if (fs::is_directory(s)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(s))
        if (e.is_regular_file() && is_picture(e.path())) found.push_back(e.path());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw Error(s + ": no pictures (.jpg .jpeg .png .bmp .tif .tiff) in this folder");
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(s)) {
      out.emplace_back(s);
    } else {
      throw Error(s + ": no such file or folder");
    }
  }
  return out;
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
  std::string model_path, out;
  std::vector<std::string> sources;
  yolo::NmsOptions nms;
  nms.max_det = 1000;  // detect.py's value (NMS's own default is 300)
  int imgsz = 0;
  double apix = 0;
  bool square = false;
  ArgReader r(args, "detect");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kDetectUsage);
      return 0;
    } else if (r.is("--model", "-m")) model_path = r.value();
    else if (r.is("--source") || r.is("--input", "-i")) {
      for (std::string& s : r.values()) sources.push_back(std::move(s));
    } else if (r.positional()) sources.push_back(r.arg()); else if (r.is("-o", "--output")) out = r.value();
    else if (r.is("--conf", "-t")) nms.conf_thres = static_cast<float>(r.fraction());
    else if (r.is("--iou")) nms.iou_thres = r.fraction();
    else if (r.is("--imgsz")) imgsz = r.integer(32, 8192);
    else if (r.is("--apix")) apix = r.number();
    else if (r.is("--max-det")) nms.max_det = r.integer(1, 100000);
    else if (r.is("--agnostic")) nms.agnostic = true;
    else if (r.is("--multi-label")) nms.multi_label = true;
    else if (r.is("--square")) square = true;
    else if (r.is("--classes")) {
      for (const std::string& item : split_char(r.value(), ','))
        nms.classes.push_back(parse_integer("--classes", item, 0, 100000));
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

  yolo::Detector det = yolo::load_detector(model_path);
  const std::vector<std::string>& names = det.names();
  yolo::InputPipeline& input = det.info.input;
  if (imgsz > 0 && imgsz != input.size) {
    if (input.rule == yolo::InputRule::Letterbox)
      std::fprintf(stderr, "note: --imgsz %d replaces the %d px %s was trained at\n", imgsz, input.size,
                   model_path.c_str());
    input.size = yolo::stride_multiple(imgsz, det.stride);
  }
  if (const std::string note = yolo::input_note(input, model_path); !note.empty())
    std::fprintf(stderr, "note: %s\n", note.c_str());
  imgproc::ReadOptions read;
  read.keep_rgb = input.rule == yolo::InputRule::Yolov5 && input.channels == 3;

  for (const int c : nms.classes)
    if (c >= static_cast<int>(names.size()))
      throw Error("--classes: class " + std::to_string(c) + " but the model has " + std::to_string(names.size()));
  if (out.empty()) out = next_run_folder("runs/detect", "exp");
  std::string class_list;
  for (const int c : nms.classes) class_list += (class_list.empty() ? "" : ",") + std::to_string(c);
  record_run(out, "detect", {{"model", fs::weakly_canonical(fs::absolute(model_path)).string()},
                             {"conf", setting(nms.conf_thres)},
                             {"iou", setting(nms.iou_thres)},
                             {"imgsz", std::to_string(input.size)},
                             {"apix", setting(apix)},
                             {"max_det", std::to_string(nms.max_det)},
                             {"classes", class_list},
                             {"agnostic", nms.agnostic ? "true" : "false"},
                             {"multi_label", nms.multi_label ? "true" : "false"},
                             {"square", square ? "true" : "false"}},
             args, false, false);
  for (size_t k = 0; k < pictures.size(); ++k) {
    const std::string path = pictures[k].string();
    imgproc::LoadedImage pic = imgproc::read_image(path, read);
    yolo::set_pixel_size(pic, apix, input, path);
    const int width = pic.image.width, height = pic.image.height;
    const auto t0 = std::chrono::steady_clock::now();
    yolo::PictureInputs used;
    yolo::NmsCapped capped;
    const std::vector<yolo::Detection> dets = yolo::detect(det, pic, nms, square, &used, &capped);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (capped.any())
      std::fprintf(stderr, "warning: %s: --max-det %d was reached in %d of %zu network input(s), %lld box(es) dropped\n",
                   path.c_str(), nms.max_det, capped.images, used.inputs.size(), (long long)(capped.boxes + capped.candidates));
    for (const auto& d : dets)
      if (d.cls >= static_cast<int>(names.size())) throw Error(model_path + ": the model predicts class " +
                                                                std::to_string(d.cls) + " but has only " +
                                                                std::to_string(names.size()) + " names");

    imgproc::RgbImage canvas = imgproc::RgbImage::from_picture(pic);
    // Lowest score first, so the best boxes and their labels end up on top.
    for (auto it = dets.rbegin(); it != dets.rend(); ++it) {
      char label[96];
      std::snprintf(label, sizeof label, "%s %.2f", names[static_cast<size_t>(it->cls)].c_str(), it->conf);
      imgproc::draw_labelled_box(canvas, it->x1, it->y1, it->x2, it->y2, label, it->cls);
    }
    const fs::path stem = fs::path(out) / pictures[k].stem();
    imgproc::write_png(stem.string() + ".png", canvas.pixels.data(), canvas.width, canvas.height, 3);
    write_text_file_atomic(stem.string() + ".txt", yolo_txt(dets, width, height));
    const yolo::LetterboxGeometry& g = used.inputs[0].geometry;
    const std::string tiles = used.inputs.size() > 1 ? std::to_string(used.inputs.size()) + " tiles of " : "";
    std::printf("image %zu/%zu %s: %s%dx%d %s, %.1f ms\n", k + 1, pictures.size(), path.c_str(), tiles.c_str(),
                g.output_height, g.output_width, summary(dets, names).c_str(), ms);
  }
  std::printf("results saved to %s (NAME.png, NAME.txt)\n", out.c_str());
  return 0;
}

}  // namespace yp::app
