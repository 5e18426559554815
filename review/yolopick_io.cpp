// yolopick_io.cpp: the review's calls into imgproc, picker, train and the pick pipeline (yolopick_io.h).
#include "review/yolopick_io.h"

#include <cstdio>
#include <filesystem>

#include "imgproc/annotate.h"
#include "imgproc/chain.h"
#include "imgproc/image_io.h"
#include "imgproc/normalize.h"
#include "picker/formats_text.h"
#include "picker/pick_io.h"
#include "picker/pipeline/pick.h"
#include "picker/pipeline/pick_run.h"
#include "train/dataset.h"
#include "train/import_labels.h"
#include "util/text.h"
#include "yolo/detector.h"

namespace yp::review {

namespace fs = std::filesystem;

struct ReviewModel {
  yolo::Detector model;
  double apix = 0;
};

std::vector<std::string> expand_micrographs(const std::vector<std::string>& specs) {
  // Stacks are not split into their sections here (the review names micrographs by file): a stack stays one
  // entry, and reading it says that it is a stack.
  picker::InputOptions whole_files;
  whole_files.section = 0;
  return picker::expand_micrograph_inputs(specs, whole_files);
}

std::pair<int, int> micrograph_size(const std::string& path) { return imgproc::read_image_size(path); }

std::shared_ptr<const ReviewModel> load_review_model(const std::string& path, double apix) {
  auto m = std::make_shared<ReviewModel>();
  m->model = yolo::load_detector(path);
  m->apix = apix;
  return m;
}

std::vector<std::string> model_class_names(const ReviewModel& model) { return model.model.names(); }

// The model's recorded chain; without a model (or for a model that records none) the study's chain, as a
// reference view.
static imgproc::ChainConfig processed_chain(const ReviewModel* model) {
  if (model && !model->model.input().chain.empty()) return imgproc::chain_config_from_text(model->model.input().chain);
  return imgproc::ChainConfig{};
}

static Gray8 to_gray8(const imgproc::Image& image01) {
  Gray8 g;
  g.width = image01.width;
  g.height = image01.height;
  g.pixels = imgproc::to_uint8(image01);
  return g;
}

Gray8 read_view(const std::string& micrograph_path, ViewKind kind, const ReviewModel* model) {
  const imgproc::Image raw = imgproc::read_image(micrograph_path).image;
  if (kind == ViewKind::Raw) return to_gray8(imgproc::normalize(raw, 0.5, 99.5));
  const imgproc::ChainConfig chain = processed_chain(model);
  imgproc::Image processed = imgproc::run_chain(raw, chain);
  // A chain without its normalise step ends outside [0, 1]: stretch it as the raw view is stretched.
  if (!chain.normalize) processed = imgproc::normalize(processed, 0.5, 99.5);
  return to_gray8(processed);
}

std::string processed_view_description(const ReviewModel* model) {
  const imgproc::ChainConfig c = processed_chain(model);
  std::string steps = imgproc::steps_text(c);
  if (c.resize)
    steps += c.bin_factor > 0 ? " (bin " + std::to_string(c.bin_factor) + ")"
                              : " (to " + std::to_string(c.width) + "x" + std::to_string(c.height) + ")";
  if (model && !model->model.input().chain.empty()) return steps + ": the model's chain";
  return steps + (model ? ": the study's chain (the model records none)" : ": the study's chain");
}

std::vector<Pick> pick_micrograph(const ReviewModel& model, const std::string& micrograph_path) {
  picker::PickOptions options;  // pick's defaults: every pick >= options.floor, as the .cbox keeps them
  imgproc::LoadedImage micrograph = imgproc::read_image(micrograph_path);
  yolo::set_pixel_size(micrograph, model.apix, model.model.input(), micrograph_path);  // as pick does
  return picker::pick_micrograph(micrograph, model.model, options);
}

std::string class_colour_hex(int cls) {
  const imgproc::Rgb8 c = imgproc::class_colour(cls);
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  return buf;
}

std::string find_pick_file(const std::string& dir, const std::string& name) {
  // pick_io.h's preference: .cbox, .star, .csv, .box, .txt; names with the suffixes micrograph_key strips.
  for (const char* ext : {".cbox", ".star", ".csv", ".box", ".txt"})
    for (const char* suffix : {"", "_autopick", "_manualpick", "_picks", "_truth"}) {
      const fs::path p = fs::path(dir) / (name + suffix + ext);
      if (fs::is_regular_file(p)) return p.string();
    }
  return "";
}

MicrographPicks read_pick_file(const std::string& path, int width, int height, double box_size) {
  picker::ReadOptions options;
  options.box_size = box_size;
  options.width = width;
  options.height = height;
  MicrographPicks mic = picker::read_picks(path, options);
  mic.width = width;
  mic.height = height;
  return mic;
}

std::string train_label_path(const std::string& image_path) { return train::label_path_for(image_path); }

MicrographPicks read_label_file(const std::string& path, int width, int height) {
  return picker::read_yolo_txt(path, width, height);
}

void write_label_file(const std::string& path, const MicrographPicks& mic, double threshold) {
  MicrographPicks kept = mic;
  kept.picks.clear();
  for (const Pick& p : mic.picks)
    if (p.confidence >= threshold) kept.picks.push_back(p);
  train::write_yolo_labels(path, train::picks_to_labels(kept, mic.width, mic.height, train::ImportOptions{}));
}

std::vector<std::string> dataset_class_names(const std::string& data_yaml) {
  return train::read_dataset_yaml(data_yaml).names;
}

std::vector<std::string> write_reviewed_picks(const std::string& out_dir, const std::string& micrograph_path,
                                              const MicrographPicks& mic, double threshold,
                                              const std::vector<std::string>& names) {
  const picker::MicrographOutputs out = picker::outputs_for(out_dir, micrograph_path);
  picker::write_micrograph_outputs(out, mic, threshold, names, picker::PickPicture{});
  return {out.cbox, out.star, out.box, out.csv, out.txt};
}

std::string reviewed_cbox_path(const std::string& out_dir, const std::string& micrograph_path) {
  return picker::outputs_for(out_dir, micrograph_path).cbox;
}

bool reviewed_done(const std::string& out_dir, const std::string& micrograph_path) {
  return picker::outputs_done(picker::outputs_for(out_dir, micrograph_path), false);
}

void write_reviewed_index(const std::vector<std::string>& micrographs, const std::string& out_dir,
                          const std::string& project) {
  picker::write_pick_index(picker::done_micrographs(micrographs, out_dir, false), out_dir, project);
}

void write_text_atomic(const std::string& path, const std::string& content) {
  yp::write_text_file_atomic(path, content);
}

std::string read_text(const std::string& path) { return yp::read_text_file(path); }

}  // namespace yp::review
