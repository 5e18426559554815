// yolo_detector.cpp: YoloDetector and make_yolo_detector (yolo_detector.h).
#include "train/yolo_detector.h"

#include <filesystem>

#include "yolo/model_file.h"
#include "util/text.h"

namespace yp::train {

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

void YoloDetector::save_model_file(const std::string& path, const yolo::ModelFileInfo& info) {
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
  } else if (ext == ".pt" || ext == ".pth" || ext == ".safetensors") {
    yolo::TransferredModel t = yolo::transfer_model(spec, o);
    b.report = t.report;
    b.preprocessing = t.source.preprocessing;
    b.detector = std::make_unique<YoloDetector>(std::move(t.model));
  } else {
    throw Error("--model " + spec + ": expected a .pt checkpoint, a .safetensors model file, a .yaml config or a "
                "built-in name (yolov5n .. yolov5x)");
  }
  return b;
}

}  // namespace yp::train
