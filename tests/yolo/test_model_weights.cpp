// test_model_weights.cpp: loading with a report, gray stem folding, transfer to a new nc, custom
// configs, gradient flow through the whole network, and the model file round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "layers/conv.h"
#include "tensor/autograd.h"
#include "tensor/ops/concat.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reduce.h"
#include "tests/support/compare.h"
#include "yolo/model.h"
#include "yolo/model_file.h"
#include "yolo/model_weights.h"

namespace yp::yolo {
namespace {

// BN statistics that are not the identity, so folding and loading are really exercised.
void randomize_bn(Model& m, uint64_t seed) {
  Rng rng(seed);
  for (auto& [name, t] : m.state_dict()) {
    if (name.find("bn.weight") != std::string::npos) t->copy_from(rand_uniform(t->shape(), 0.5, 1.5, rng));
    if (name.find("bn.bias") != std::string::npos) t->copy_from(rand_uniform(t->shape(), -0.5, 0.5, rng));
    if (name.find("running_var") != std::string::npos) t->copy_from(rand_uniform(t->shape(), 0.5, 2, rng));
    if (name.find("running_mean") != std::string::npos) t->copy_from(rand_uniform(t->shape(), -0.5, 0.5, rng));
  }
}

Tensor raw_concat(Model& m, const Tensor& x) {
  NoGradGuard no_grad;
  std::vector<Tensor> flat;
  for (const Tensor& r : m.forward_raw(x)) flat.push_back(r.reshape({r.size(0), -1}));
  return concat_channels(flat);
}

TEST(ModelWeights, GrayStemEqualsRgbNetworkOnReplicatedGray) {
  ModelOptions o;
  o.seed = 11;
  Model rgb(builtin_yolo_config("yolov5n"), o);
  randomize_bn(rgb, 12);
  rgb.eval();
  ModelOptions g;
  g.input_channels = 1;
  Model gray(builtin_yolo_config("yolov5n"), g);
  const LoadReport report = load_state_dict(gray, model_state(rgb));
  EXPECT_TRUE(report.complete()) << report.summary();
  EXPECT_TRUE(report.stem_folded);
  gray.eval();

  Rng rng(13);
  const Tensor one = rand_uniform({1, 1, 64, 96}, 0, 1, rng);
  const Tensor three = concat_channels({one, one, one});
  const Tensor expected = raw_concat(rgb, three);
  EXPECT_TRUE(test::all_close(raw_concat(gray, one), expected, 2e-4, 2e-4));
  gray.fuse();
  EXPECT_TRUE(test::all_close(raw_concat(gray, one), expected, 2e-4, 2e-4));
  // Only the stem differs: 16 filters x 2 fewer input channels x 6 x 6.
  EXPECT_EQ(rgb.num_parameters() - gray.num_parameters(), 16 * 2 * 36);
}

TEST(ModelWeights, TransferToTwoClassesKeepsAllButDetectOutputs) {
  ModelOptions o;
  o.seed = 21;
  Model coco(builtin_yolo_config("yolov5s"), o);
  randomize_bn(coco, 22);
  ModelOptions t;
  t.nc = 2;
  t.seed = 23;
  Model picker(builtin_yolo_config("yolov5s"), t);
  const LoadReport report = load_state_dict(picker, model_state(coco));
  EXPECT_TRUE(report.missing.empty());
  EXPECT_TRUE(report.unexpected.empty());
  ASSERT_EQ(report.mismatched.size(), 6u) << report.summary();
  EXPECT_EQ(report.loaded, 349 - 6);
  EXPECT_NE(report.mismatched[0].find("model.24.m.0.weight: file (255, 128, 1, 1) vs model (21, 128, 1, 1)"),
            std::string::npos)
      << report.mismatched[0];

  auto coco_sd = coco.state_dict();
  auto picker_sd = picker.state_dict();
  for (size_t i = 0; i < picker_sd.size(); ++i) {
    const std::string& name = picker_sd[i].first;
    if (name.rfind("model.24.m.", 0) == 0) continue;
    EXPECT_EQ(picker_sd[i].second->to_vector(), coco_sd[i].second->to_vector()) << name;
  }
  // The new output biases: PyTorch's U(-1/sqrt(c), 1/sqrt(c)) plus YOLOv5's priors.
  const std::vector<int> ch = {128, 256, 512};
  for (int l = 0; l < 3; ++l) {
    const std::vector<float> b = picker.detect().m[(size_t)l].bias.to_vector();
    ASSERT_EQ(b.size(), 21u);
    const double bound = 1 / std::sqrt((double)ch[(size_t)l]) + 1e-6;
    const double obj_prior = std::log(8 / std::pow(640.0 / (8 << l), 2)), cls_prior = std::log(0.6 / (2 - 0.99999));
    for (int a = 0; a < 3; ++a) {
      EXPECT_LE(std::abs(b[(size_t)(a * 7 + 0)]), bound);
      EXPECT_LE(std::abs(b[(size_t)(a * 7 + 4)] - obj_prior), bound);
      EXPECT_LE(std::abs(b[(size_t)(a * 7 + 5)] - cls_prior), bound);
      EXPECT_LE(std::abs(b[(size_t)(a * 7 + 6)] - cls_prior), bound);
    }
  }
}

TEST(ModelWeights, ReportNamesMissingUnexpectedAndMismatched) {
  ModelOptions o;
  o.random_init = false;
  Model m(builtin_yolo_config("yolov5n"), o);
  NamedTensors sd = model_state(m);
  sd.erase(sd.begin() + 1);                                  // model.0.bn.weight missing
  sd.emplace_back("model.99.conv.weight", Tensor::zeros({1}));  // unexpected
  sd[0].second = Tensor::zeros({16, 3, 3, 3});               // stem of the wrong size
  const LoadReport r = load_state_dict(m, sd);
  EXPECT_EQ(r.missing, std::vector<std::string>{"model.0.bn.weight"});
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"model.99.conv.weight"});
  ASSERT_EQ(r.mismatched.size(), 1u);
  EXPECT_FALSE(r.complete());
  EXPECT_NE(r.summary().find("model.0.bn.weight"), std::string::npos);
}

TEST(ModelWeights, F16StateDictIsConverted) {
  ModelOptions o;
  o.seed = 31;
  Model a(builtin_yolo_config("yolov5n"), o);
  NamedTensors half;
  for (auto& [name, t] : model_state(a)) half.emplace_back(name, t.to(DType::F16));
  o.seed = 32;
  Model b(builtin_yolo_config("yolov5n"), o);
  const LoadReport r = load_state_dict(b, half);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(b.detect().m[0].weight.dtype(), DType::F32);
  EXPECT_TRUE(test::all_close(b.detect().m[0].weight, a.detect().m[0].weight, 1e-3, 1e-3));
}

TEST(ModelCustom, TinyCustomConfigTrainsEndToEnd) {
  // A custom config (another width, one level fewer) loads, and in training mode every parameter
  // of the network receives a gradient from the raw outputs - the graph is wired through.
  const std::string yaml = R"(nc: 3
depth_multiple: 0.33
width_multiple: 0.125
anchors:
  - [10,13, 16,30]
  - [30,61, 62,45]
backbone:
  [[-1, 1, Conv, [64, 6, 2, 2]],
   [-1, 1, Conv, [128, 3, 2]],
   [-1, 3, C3, [128]],
   [-1, 1, Conv, [256, 3, 2]],
   [-1, 1, C3, [256]],
   [-1, 1, SPPF, [256, 5]],
  ]
head:
  [[-1, 1, Conv, [128, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 2], 1, Concat, [1]],
   [-1, 1, C3, [128, False]],
   [[9, 6], 1, Detect, [nc, anchors]],
  ]
)";
  Model m(parse_yolo_config(yaml, "tiny.yaml"));
  EXPECT_EQ(m.strides(), (std::vector<float>{4, 8}));
  EXPECT_EQ(m.save_list(), (std::vector<int>{2, 6, 9}));
  Rng rng(41);
  const Tensor x = rand_uniform({2, 3, 32, 32}, 0, 1, rng);
  const std::vector<Tensor> raw = m.forward_raw(x);
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_EQ(raw[0].shape(), (Shape{2, 16, 8, 8}));
  EXPECT_EQ(raw[1].shape(), (Shape{2, 16, 4, 4}));
  Tensor loss = add(sum(raw[0]), sum(raw[1]));
  loss.backward();
  for (auto& [name, p] : m.named_parameters()) {
    ASSERT_TRUE(p->grad().defined()) << name;
    double s = 0;
    for (float g : p->grad().to_vector()) s += std::abs(g);
    EXPECT_GT(s, 0) << name;
  }
}

TEST(ModelFile, SaveLoadForwardRoundTripOfYolov5s) {
  ModelOptions o;
  o.seed = 51;
  o.nc = 3;
  Model m(builtin_yolo_config("yolov5s"), o);
  randomize_bn(m, 52);
  m.eval();
  const std::string path = (std::filesystem::temp_directory_path() / "yp_test_model_s.safetensors").string();
  ModelFileInfo info;
  info.names = {"particle", "ice", "carbon"};
  info.input = {InputRule::Letterbox, "steps = resize,wavelet,wiener,clahe\nwiener.rows = 5\n", 1024, 3};
  save_model(path, m, info);
  LoadedModel loaded = load_model(path);
  std::filesystem::remove(path);
  EXPECT_EQ(loaded.info.names, info.names);
  EXPECT_EQ(loaded.info.input.size, 1024);
  EXPECT_EQ(loaded.info.input.chain, info.input.chain);
  EXPECT_EQ(loaded.info.input.rule, InputRule::Letterbox);
  EXPECT_EQ(loaded.metadata.at("strides"), "[8,16,32]");
  EXPECT_EQ(loaded.metadata.at("anchors"), "[[10,13,16,30,33,23],[30,61,62,45,59,119],[116,90,156,198,373,326]]");
  EXPECT_EQ(loaded.model->nc(), 3);
  EXPECT_EQ(loaded.model->num_parameters(), m.num_parameters());
  EXPECT_FALSE(loaded.model->training());
  Rng rng(53);
  const Tensor x = rand_uniform({1, 3, 64, 64}, 0, 1, rng);
  const Tensor expected = m.predict(x);
  EXPECT_TRUE(test::all_close(loaded.model->predict(x), expected, 0, 0));
  loaded.model->fuse();
  EXPECT_TRUE(test::all_close(loaded.model->predict(x), expected, 1e-3, 1e-4));
}

TEST(ModelFile, BadFilesGiveOneLineErrors) {
  const std::string path = (std::filesystem::temp_directory_path() / "yp_test_model_bad.safetensors").string();
  ModelOptions o;
  o.random_init = false;
  Model m(builtin_yolo_config("yolov5n"), o);
  // A safetensors file without our metadata.
  io::save_safetensors(path, model_state(m), {{"format", "pt"}});
  EXPECT_THROW(load_model(path), Error);
  // Our metadata but a missing tensor.
  NamedTensors sd = model_state(m);
  sd.pop_back();
  save_model(path, m, {});
  io::SafetensorsFile f = io::load_safetensors(path);
  io::save_safetensors(path, sd, f.metadata);
  try {
    load_model(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.24.m.2.bias"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
  EXPECT_THROW(load_model(path), Error);  // absent
}

}  // namespace
}  // namespace yp::yolo
