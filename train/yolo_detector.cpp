// yolo_detector.cpp: YoloDetector and make_yolo_detector (yolo_detector.h).
#include "train/yolo_detector.h"

#include <filesystem>

#include "yolo/io/pt_checkpoint.h"
#include "yolo/io/safetensors.h"
#include "yolo/model_file.h"
#include "yolo/model_weights.h"
#include "util/text.h"

namespace yp::train {

namespace {

// Copies what fits and checks that only a class-count transfer left anything behind.
std::string transfer(yolo::Model& model, const io::NamedTensors& state, int file_nc, const std::string& path) {
  const yolo::LoadReport r = yolo::load_state_dict(model, state);
  const std::string head = "model." + std::to_string(model.num_layers() - 1) + ".m.";
  const bool new_classes = model.nc() != file_nc;
  for (const std::string& m : r.mismatched)
    if (!new_classes || m.rfind(head, 0) != 0)
      throw Error(path + ": weights do not fit the architecture rebuilt from its yaml (" + m + ")");
  if (!r.missing.empty() || !r.unexpected.empty())
    throw Error(path + ": weights do not fit the architecture rebuilt from its yaml:\n" + r.summary());
  std::string s = path + ": " + std::to_string(r.loaded) + " tensors loaded";
  if (r.stem_folded) s += ", RGB stem folded into one gray channel";
  if (new_classes)
    s += ", transferred from " + std::to_string(file_nc) + " to " + std::to_string(model.nc()) + " classes (" +
         std::to_string(r.mismatched.size()) + " Detect outputs initialised with the bias priors)";
  return s;
}

}  // namespace

YoloDetector::YoloDetector(std::unique_ptr<yolo::Model> model) : model_(std::move(model)) {
  YP_CHECK(model_ != nullptr, "YoloDetector: no model");
  model_->train();
}

std::vector<Tensor> YoloDetector::forward(const Tensor& images) { return model_->forward_raw(images); }

NamedTensors YoloDetector::named_parameters() {
  NamedTensors out;
  for (const auto& [name, t] : model_->named_parameters()) out.emplace_back(name, *t);
  return out;
}

NamedTensors YoloDetector::state() {
  NamedTensors out;
  for (const auto& [name, t] : model_->state_dict())
    if (!ends_with(name, "num_batches_tracked")) out.emplace_back(name, *t);
  return out;
}

void YoloDetector::set_training(bool training) { model_->train(training); }

std::vector<int> YoloDetector::strides() const {
  std::vector<int> s;
  for (float v : model_->strides()) s.push_back(static_cast<int>(v));
  return s;
}

void YoloDetector::save_model_file(const std::string& path, const ModelFileMeta& meta) {
  yolo::ModelFileInfo info;
  info.names = meta.names;
  info.input_size = meta.image_size;
  info.preprocessing = meta.preprocessing;
  yolo::save_model(path, *model_, info);
}

YoloDetectorBuild make_yolo_detector(const std::string& spec, int nc, int input_channels, uint64_t seed) {
  YP_CHECK(nc >= 1, "make_yolo_detector: nc must be >= 1");
  yolo::ModelOptions o;
  o.nc = nc;
  o.input_channels = input_channels;
  o.seed = seed;
  const std::string ext = lower_extension(spec);
  YoloDetectorBuild b;
  if (ext == ".yaml" || ext == ".yml" || ext.empty()) {
    const yolo::YoloConfig cfg = ext.empty() ? yolo::builtin_yolo_config(spec) : yolo::load_yolo_config(spec);
    b.detector = std::make_unique<YoloDetector>(std::make_unique<yolo::Model>(cfg, o));
    b.report = spec + ": built from scratch (random initialisation, Detect bias priors)";
  } else if (ext == ".pt" || ext == ".pth") {
    const io::PtCheckpoint ck = io::load_pt_checkpoint(spec);
    if (ck.yaml_text.empty()) throw Error(spec + ": the checkpoint embeds no model yaml; cannot rebuild the network");
    auto model = std::make_unique<yolo::Model>(yolo::parse_yolo_config(ck.yaml_text, spec + " (embedded yaml)"), o);
    b.report = transfer(*model, ck.state_dict, ck.nc, spec);
    b.detector = std::make_unique<YoloDetector>(std::move(model));
  } else if (ext == ".safetensors") {
    const io::SafetensorsFile f = io::load_safetensors(spec);
    const auto yaml = f.metadata.find("yaml");
    const auto file_nc = f.metadata.find("nc");
    if (yaml == f.metadata.end() || file_nc == f.metadata.end())
      throw Error(spec + ": not a yolopick model file (no 'yaml' / 'nc' metadata)");
    auto model = std::make_unique<yolo::Model>(yolo::parse_yolo_config(yaml->second, spec + " (embedded yaml)"), o);
    b.report = transfer(*model, f.tensors, std::atoi(file_nc->second.c_str()), spec);
    b.detector = std::make_unique<YoloDetector>(std::move(model));
    if (const auto pre = f.metadata.find("preprocessing"); pre != f.metadata.end()) b.preprocessing = pre->second;
  } else {
    throw Error("--model " + spec + ": expected a .pt checkpoint, a .safetensors model file, a .yaml config or a "
                "built-in name (yolov5n .. yolov5x)");
  }
  return b;
}

}  // namespace yp::train
