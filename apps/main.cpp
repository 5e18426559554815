// main.cpp: `yolopick COMMAND [ARGS]` - dispatch to the sub-commands in commands.h.
#include <cstdio>
#include <cstring>
#include <exception>

#include "apps/commands.h"
#include "tensor/parallel.h"

namespace yp::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"info", "version, build, backends and devices; or describe a model file (info MODEL)", cmd_info},
      {"import", "an official YOLOv5 .pt checkpoint -> our model file (.safetensors with metadata); --gray, --nc", cmd_import},
      {"simulate", "synthetic KLH micrographs with exact labels (picks and not-to-pick objects)", cmd_simulate},
      {"evaluate", "score picks against ground truth: Hungarian matching, P/R/F1/AP, PR curve", cmd_evaluate},
      {"preprocess", "the study's pre-processing chain: resize, db15 wavelet, wiener2, CLAHE, normalise", cmd_preprocess},
      {"detect", "YOLOv5 detect.py: letterbox, forward, NMS; annotated PNG + YOLO txt per picture", cmd_detect},
      {"pick", "pick particles: model pre-processing, resize or tiles, STAR/.box/.cbox/CSV/txt/PNG per micrograph, resume, shards", cmd_pick},
      {"calibrate", "pick's default threshold per class: best F1 on labelled validation micrographs, stored in the model file", cmd_calibrate},
      {"train", "train a detector on a data.yaml (loss, schedule, EMA, checkpoints, resume); train labels: picks -> YOLO labels", cmd_train},
      {"review", "label micrographs and review picks in a local web page (boxes, threshold, pick, STAR/.box/.cbox, labels)", cmd_review},
  };
  return table;
}

}  // namespace yp::app

static void print_usage() {
  std::printf("usage: yolopick COMMAND [ARGS]   (yolopick COMMAND --help for its options)\n\ncommands:\n");
  for (const auto& c : yp::app::commands()) std::printf("  %-12s %s\n", c.name, c.summary);
}

int main(int argc, char** argv) {
  yp::restart_with_passive_openmp_wait(argv);  // OpenMP threads sleep instead of spinning (tensor/parallel.h)
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const yp::app::Args args(argv + 2, argv + argc);
  for (const auto& c : yp::app::commands()) {
    if (std::strcmp(c.name, argv[1]) != 0) continue;
    try {
      return c.run(args);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "yolopick %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "yolopick: unknown command '%s' (yolopick --help lists them)\n", argv[1]);
  return 2;
}
