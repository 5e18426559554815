// yolo_detector.h: the YOLOv5 network (yolo/model.h) as a TrainableDetector, and how `--model` builds it.
//
//   forward   images (N, C, S, S) -> Model::forward_raw: per level (N, na*(5+nc), S/s, S/s) logits (train
//             mode: BN batch statistics; eval mode: running statistics, BN NOT folded, so the EMA weights
//             can be swapped in and out between epochs).
//   names     the official state-dict names ("model.0.conv.weight" .. "model.24.m.2.bias"); state() is
//             every float parameter and buffer except BN's num_batches_tracked (a counter, not averaged
//             by YOLOv5's EMA and never read by our BN), so the EMA and the checkpoints carry the rest.
//   anchors   Detect's anchors in grid units, strides from the model (8, 16, 32 for the official configs).
//
// make_yolo_detector(spec, nc, input_channels):
//   "*.yaml" or a built-in name ("yolov5n" .. "yolov5x")  from scratch, YOLOv5's initialisation and priors
//   "*.pt"   (official checkpoint) or "*.safetensors" (our model file)  the weights, transferred as
//            train.py does (intersect_dicts): every tensor whose name and shape match is copied; a data set
//            with another class count keeps everything but the Detect outputs model.N.m.*, which stay at
//            their initialisation with the bias priors (layers/detect.h). Anything else that does not fit
//            (missing, unexpected, or a mismatch outside the Detect outputs) is an error.
//   input_channels = 1 builds the gray stem; RGB stem weights are summed into it (fold_rgb_stem), which
//   is exactly the RGB network on the gray value replicated three times.
#pragma once

#include <memory>
#include <string>

#include "train/detector.h"
#include "yolo/model.h"

namespace yp::train {

class YoloDetector : public TrainableDetector {
 public:
  explicit YoloDetector(std::unique_ptr<yolo::Model> model);

  std::vector<Tensor> forward(const Tensor& images) override;
  NamedTensors named_parameters() override;
  NamedTensors state() override;
  void set_training(bool training) override;
  std::vector<Tensor> anchors() const override { return model_->anchors(); }
  std::vector<int> strides() const override;
  int num_classes() const override { return model_->nc(); }
  int input_channels() const override { return model_->input_channels(); }
  void save_model_file(const std::string& path, const yolo::ModelFileInfo& info) override;

  yolo::Model& model() { return *model_; }

 private:
  std::unique_ptr<yolo::Model> model_;
};

struct YoloDetectorBuild {
  std::unique_ptr<YoloDetector> detector;
  std::string report;  // what was loaded / transferred / initialised, for the command's log
  std::string preprocessing;  // the chain a .safetensors model file stores ("" for other sources)
};

YoloDetectorBuild make_yolo_detector(const std::string& spec, int nc, int input_channels, uint64_t seed);

}  // namespace yp::train
