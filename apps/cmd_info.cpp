// cmd_info.cpp: `yolopick info` - what this build is and what it can run on;
// `yolopick info MODEL` - a model file or YOLOv5 checkpoint: layers, parameters, GFLOPs, classes, metadata.
#include <cstdio>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/isa.h"
#include "tensor/device.h"
#include "tensor/parallel.h"
#include "util/build_info.h"
#include "util/text.h"
#include "yolo/model_file.h"

namespace yp::app {

namespace {

std::string join_from(const std::vector<int>& from) {
  if (from.size() == 1) return std::to_string(from[0]);
  std::string s = "[";
  for (size_t i = 0; i < from.size(); ++i) s += (i ? ", " : "") + std::to_string(from[i]);
  return s + "]";
}

int describe_model(const std::string& path, bool show_yaml) {
  yolo::LoadedModel loaded = yolo::load_model(path);
  yolo::Model& model = *loaded.model;
  std::printf("%s (%s)\n\n", path.c_str(), loaded.format == "pt" ? "YOLOv5 checkpoint" : "yolopick model file");
  std::printf("%4s %-12s %2s %10s  %-12s %s\n", "", "from", "n", "params", "module", "arguments");
  for (const yolo::LayerInfo& l : model.layers())
    std::printf("%4d %-12s %2d %10lld  %-12s %s\n", l.index, join_from(l.from).c_str(), l.number,
                (long long)l.params, l.module.c_str(), l.args.c_str());
  const yolo::InputPipeline& input = loaded.info.input;
  const int side = input.size - input.size % model.max_stride();
  std::printf("\n%d layers, %lld parameters, %zu state-dict tensors\n", model.num_layers(),
              (long long)model.num_parameters(), model.state_dict().size());
  std::printf("GFLOPs:          %.1f at 640x640", model.flops(640, 640) / 1e9);
  if (side != 640 && side > 0) std::printf(", %.1f at %dx%d", model.flops(side, side) / 1e9, side, side);
  std::printf("  (2 x multiply-adds of the convolutions, BN folded)\n");
  std::printf("input:           %d channel%s, size %d, rule %s\n", model.input_channels(),
              model.input_channels() == 1 ? "" : "s", input.size, yolo::input_rule_name(input.rule));
  if (input.rule == yolo::InputRule::Letterbox)
    std::printf("scale:           %s\n", input.scaled() ? (yolo::scale_text(input) + "; pick resamples every micrograph "
                                                           "to it and cuts " + std::to_string(input.size) +
                                                           " px tiles overlapping by " +
                                                           std::to_string(yolo::default_tile_overlap(input)) + " px")
                                                              .c_str()
                                                        : "not recorded: pick fits each micrograph whole into the "
                                                          "input, whatever its pixel size");
  std::string strides, anchors;
  for (size_t l = 0; l < model.strides().size(); ++l) {
    strides += (l ? ", " : "") + std::to_string((int)model.strides()[l]);
    anchors += l ? "; " : "";
    const std::vector<float> a = model.anchors()[l].to_vector();
    for (size_t i = 0; i < a.size(); i += 2) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%g,%g", i ? " " : "", a[i] * model.strides()[l], a[i + 1] * model.strides()[l]);
      anchors += buf;
    }
  }
  std::printf("strides:         %s\n", strides.c_str());
  std::printf("anchors (px):    %s\n", anchors.c_str());
  std::string names;
  for (size_t i = 0; i < loaded.info.names.size(); ++i) {
    if (i == 12) {
      names += ", ... (" + std::to_string(loaded.info.names.size() - 12) + " more)";
      break;
    }
    names += (i ? ", " : "") + loaded.info.names[i];
  }
  std::printf("classes:         %d: %s\n", model.nc(), names.c_str());
  if (loaded.info.conf_thresholds.empty()) {
    std::printf("conf threshold:  not calibrated: pick uses 0.25 for every class (yolopick calibrate)\n");
  } else {
    std::string t;
    for (size_t i = 0; i < loaded.info.conf_thresholds.size(); ++i)
      t += (i ? ", " : "") + loaded.info.names[i] + " " + fmt(loaded.info.conf_thresholds[i], 4);
    std::printf("conf threshold:  %s (calibrated; pick's default)\n", t.c_str());
    if (!loaded.info.conf_calibration.empty()) std::printf("calibration:     %s\n", loaded.info.conf_calibration.c_str());
  }
  if (!input.chain.empty()) {  // "key = value" lines, one per setting, aligned under the first
    std::string text = input.chain;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) text.insert(at + 1, 17, ' ');
    std::printf("preprocessing:   %s\n", text.c_str());
  }
  for (const auto& [key, value] : loaded.metadata) {
    if (key == "yaml" || key == "names" || key == "anchors" || key == "strides" || key == "preprocessing" ||
        key == "input_rule" || key == "input_size" || key == "input_channels" || key == "input_pixel_size" ||
        key == "particle_diameter" || key == "conf_thresholds" || key == "conf_calibration")
      continue;
    std::printf("metadata %-7s %s\n", (key + ":").c_str(), value.c_str());
  }
  if (show_yaml) std::printf("\n%s", model.config().text.c_str());
  return 0;
}

}  // namespace

int cmd_info(const Args& args) {
  std::string model_path;
  bool show_yaml = false;
  ArgReader r(args, "info");
  while (r.next()) {
    if (r.help()) {
      std::printf("usage: yolopick info                   describe this build\n"
                  "       yolopick info MODEL [--yaml]    describe a model file (.safetensors) or YOLOv5 .pt checkpoint\n"
                  "example: yolopick info models/klh_yolov5n.safetensors\n");
      return 0;
    } else if (r.is("--yaml")) show_yaml = true;
    else if (!r.positional()) r.unknown();
    else if (model_path.empty()) model_path = r.arg();
    else throw Error("info takes one MODEL (and --yaml)");
  }
  if (!model_path.empty()) return describe_model(model_path, show_yaml);
  if (show_yaml) throw Error("--yaml needs a MODEL (yolopick info --help)");
  const BuildInfo& b = build_info();
  std::printf("yolopick %s\n", b.version);
  std::printf("commit:       %s%s (%s)\n", b.git_commit, b.git_dirty ? ", with uncommitted changes" : "", b.source_date);
  std::printf("build:        %s, -march=%s, %s\n", b.build_type, b.cpu_target, b.cxx_compiler);
  if (b.cuda) std::printf("cuda build:   sm_%s, %s%s\n", b.cuda_archs, b.cuda_compiler, b.cudnn ? ", cuDNN yardstick" : "");
  std::printf("backends:     cpu%s%s\n", built_with_cuda() ? ", cuda" : "", built_with_cudnn() ? ", cudnn" : "");
  std::printf("cpu threads:  %d\n", cpu_threads());
  std::printf("cpu kernels:  %s (this CPU's best: %s; YP_CPU_ISA=avx2|generic caps it)\n", gemm_kernel_name(),
              cpu_isa_name(best_cpu_isa()));
  std::string reason;
  const int n = cuda_device_count(&reason);
  if (n == 0) {
    std::printf("cuda devices: none (%s)\n", reason.c_str());
  } else {
    std::printf("cuda devices: %d\n", n);
    for (int i = 0; i < n; ++i) std::printf("  [%d] %s\n", i, cuda_device_name(i).c_str());
  }
  return 0;
}

}  // namespace yp::app
