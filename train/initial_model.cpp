// initial_model.cpp: the starting network of a run (initial_model.h).
#include "train/initial_model.h"

#include "util/text.h"

namespace yp::train {

InitialModel initial_model(const std::string& spec, int nc, int input_channels, uint64_t seed) {
  YP_CHECK(nc >= 1, "initial_model: nc must be >= 1");
  yolo::ModelOptions o;
  o.nc = nc;
  o.input_channels = input_channels;
  o.seed = seed;
  const std::string ext = lower_extension(spec);
  InitialModel m;
  if (ext == ".yaml" || ext == ".yml" || ext.empty()) {
    const yolo::YoloConfig cfg = ext.empty() ? yolo::builtin_yolo_config(spec) : yolo::load_yolo_config(spec);
    m.model = std::make_unique<yolo::Model>(cfg, o);
    m.report = spec + ": built from scratch (random initialisation, Detect bias priors)";
  } else if (ext == ".pt" || ext == ".pth" || ext == ".safetensors") {
    yolo::TransferredModel t = yolo::transfer_model(spec, o);
    m.model = std::move(t.model);
    m.report = std::move(t.report);
    m.source = std::move(t.source);
  } else {
    throw Error("--model " + spec + ": expected a .pt checkpoint, a .safetensors model file, a .yaml config or a "
                "built-in name (yolov5n .. yolov5x)");
  }
  m.model->train();
  return m;
}

}  // namespace yp::train
