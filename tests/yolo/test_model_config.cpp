// test_model_config.cpp: the yaml grammar, the five shipped configs, and the architecture invariants
// (parameter counts, state-dict names and shapes, GFLOPs, strides) of yolov5n/s/m/l/x at nc = 80.
#include <gtest/gtest.h>


#include "tests/support/shared_data.h"
#include "yolo/model.h"
#include "yolo/yaml_config.h"

namespace yp::yolo {
namespace {

std::unique_ptr<Model> counting_model(const std::string& name, int nc = 0) {
  ModelOptions o;
  o.random_init = false;  // zeros: only shapes matter here
  o.nc = nc;
  return std::make_unique<Model>(builtin_yolo_config(name), o);
}

TEST(YamlConfig, ParsesTheGrammarSubset) {
  const YamlDocument doc = parse_yaml(
      "a: 1  # comment\nb: [1, [2.5, 'x'], None, True, nearest]\nc:\n  - [1, 2]\n  - [3,\n     4]  # split\n"
      "d:\n  [[-1, 1, Conv, [64]],\n   [-1, 2, C3, [128, False]],\n  ]\n",
      "t");
  ASSERT_EQ(doc.size(), 4u);
  EXPECT_EQ(doc[0].second.number, 1);
  EXPECT_TRUE(doc[0].second.is_integer);
  EXPECT_EQ(doc[1].second.str(), "[1, [2.5, x], None, True, nearest]");
  EXPECT_FALSE(doc[1].second.items[1].items[0].is_integer);
  EXPECT_EQ(doc[2].second.str(), "[[1, 2], [3, 4]]");
  EXPECT_EQ(doc[3].second.str(), "[[-1, 1, Conv, [64]], [-1, 2, C3, [128, False]]]");
}

TEST(YamlConfig, ErrorsNameTheLine) {
  try {
    parse_yaml("a: 1\nb: [1, 2\n", "cfg.yaml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.yaml:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_yaml("a: 1\n  b: 2\n", "t"), Error);
  EXPECT_THROW(parse_yaml("- [1]\n", "t"), Error);
  YoloConfig cfg = builtin_yolo_config("yolov5n");
  cfg.layers[3].module = "Focus";
  EXPECT_THROW(Model m(cfg), Error);
  EXPECT_THROW(parse_yolo_config("nc: 80\nbackbone: []\n", "t"), Error);
}

TEST(YamlConfig, ShippedFilesMatchTheBuiltInConfigs) {
  for (const std::string& name : builtin_yolo_config_names()) {
    const YoloConfig file = load_yolo_config(test::source_path("yolo/configs/" + name + ".yaml"));
    const YoloConfig builtin = builtin_yolo_config(name);
    EXPECT_EQ(file.nc, builtin.nc);
    EXPECT_EQ(file.depth_multiple, builtin.depth_multiple) << name;
    EXPECT_EQ(file.width_multiple, builtin.width_multiple) << name;
    EXPECT_EQ(file.anchors, builtin.anchors);
    ASSERT_EQ(file.layers.size(), 25u);
    EXPECT_EQ(file.backbone_size, 10);
    for (size_t i = 0; i < file.layers.size(); ++i) {
      EXPECT_EQ(file.layers[i].from, builtin.layers[i].from);
      EXPECT_EQ(file.layers[i].module, builtin.layers[i].module);
      EXPECT_EQ(file.layers[i].number, builtin.layers[i].number);
    }
  }
}

// Official counts (yolov5-facts.md), state-dict sizes and GFLOPs at 640 (YOLOv5's README and
// model summary: 2 x multiply-adds of every conv with its folded BN bias, rounded to 0.1).
struct Invariant {
  const char* name;
  int64_t params;
  size_t entries;
  double gflops;
  std::vector<int> detect_ch;
};

TEST(ModelInvariants, ParametersEntriesAndGflopsOfTheFiveSizes) {
  const std::vector<Invariant> cases = {{"yolov5n", 1872157, 349, 4.5, {64, 128, 256}},
                                        {"yolov5s", 7235389, 349, 16.5, {128, 256, 512}},
                                        {"yolov5m", 21190557, 481, 49.0, {192, 384, 768}},
                                        {"yolov5l", 46563709, 613, 109.1, {256, 512, 1024}},
                                        {"yolov5x", 86749405, 745, 205.7, {320, 640, 1280}}};
  for (const Invariant& c : cases) {
    SCOPED_TRACE(c.name);
    auto model = counting_model(c.name);
    EXPECT_EQ(model->num_parameters(), c.params);
    EXPECT_EQ(model->state_dict().size(), c.entries);
    const double gflops = model->flops(640, 640) / 1e9;
    EXPECT_NEAR(gflops, c.gflops, 0.05) << gflops;
    for (int l = 0; l < 3; ++l) EXPECT_EQ(model->detect().m[(size_t)l].c1, c.detect_ch[(size_t)l]);
    EXPECT_EQ(model->strides(), (std::vector<float>{8, 16, 32}));
    EXPECT_EQ(model->save_list(), (std::vector<int>{4, 6, 10, 14, 17, 20, 23}));
  }
}

TEST(ModelInvariants, FusedCountOfYolov5sIsTheStyleGuideFigure) {
  // Folding BN replaces gamma and beta (2 c) with a conv bias (c): 7,235,389 - 9,504 = 7,225,885,
  // the count YOLOv5 prints after fusing.
  auto model = counting_model("yolov5s");
  int64_t bn_channels = 0;
  for (auto& [name, t] : model->named_parameters())
    if (name.find(".bn.weight") != std::string::npos) bn_channels += t->numel();
  EXPECT_EQ(model->num_parameters() - bn_channels, 7225885);
}

TEST(ModelInvariants, Yolov5sStateDictMatchesTheOfficialNamesAndShapes) {
  auto model = counting_model("yolov5s");
  const auto sd = model->state_dict();
  ASSERT_EQ(sd.size(), 349u);
  // A sample of Appendix A of yolov5-facts.md, in order.
  EXPECT_EQ(sd[0].first, "model.0.conv.weight");
  EXPECT_EQ(sd[0].second->shape(), (Shape{32, 3, 6, 6}));
  EXPECT_EQ(sd[5].first, "model.0.bn.num_batches_tracked");
  EXPECT_EQ(sd[5].second->shape(), Shape{});
  EXPECT_EQ(sd[12].first, "model.2.cv1.conv.weight");
  EXPECT_EQ(sd[30].first, "model.2.m.0.cv1.conv.weight");
  EXPECT_EQ(sd[36].first, "model.2.m.0.cv2.conv.weight");
  EXPECT_EQ(sd[36].second->shape(), (Shape{32, 32, 3, 3}));
  EXPECT_EQ(sd[342].first, "model.24.anchors");
  EXPECT_EQ(sd[342].second->shape(), (Shape{3, 3, 2}));
  EXPECT_EQ(sd[347].first, "model.24.m.2.weight");
  EXPECT_EQ(sd[347].second->shape(), (Shape{255, 512, 1, 1}));
  EXPECT_EQ(sd[348].first, "model.24.m.2.bias");
  // Per-layer parameter counts of the facts' table.
  const std::map<int, int64_t> per_layer = {{0, 3520},    {1, 18560},    {2, 18816},   {3, 73984},  {4, 115712},
                                            {5, 295424},  {6, 625152},   {7, 1180672}, {8, 1182720}, {9, 656896},
                                            {10, 131584}, {13, 361984},  {14, 33024},  {17, 90880},  {18, 147712},
                                            {20, 296448}, {21, 590336},  {23, 1182720}, {24, 229245}};
  for (const auto& [i, n] : per_layer) EXPECT_EQ(model->layers()[(size_t)i].params, n) << "layer " << i;
  // Anchors in grid units, as the official buffer stores them.
  const std::vector<float> a = model->detect().anchors.to_vector();
  EXPECT_FLOAT_EQ(a[0], 1.25f);
  EXPECT_FLOAT_EQ(a[1], 1.625f);
  EXPECT_FLOAT_EQ(a[17], 10.1875f);
}

TEST(ModelInvariants, GrayStemCostsAThird) {
  auto rgb = counting_model("yolov5n");
  ModelOptions o;
  o.random_init = false;
  o.input_channels = 1;
  Model gray(builtin_yolo_config("yolov5n"), o);
  const int64_t stem_rgb = rgb->layer_flops(640, 640)[0], stem_gray = gray.layer_flops(640, 640)[0];
  // 2 * 16 * 320^2 * (c1 * 36 + 1)
  EXPECT_EQ(stem_rgb, 2LL * 16 * 320 * 320 * (3 * 36 + 1));
  EXPECT_EQ(stem_gray, 2LL * 16 * 320 * 320 * (1 * 36 + 1));
  EXPECT_EQ(rgb->flops(640, 640) - gray.flops(640, 640), stem_rgb - stem_gray);
  EXPECT_EQ(rgb->num_parameters() - gray.num_parameters(), 16 * 2 * 36);
}

TEST(ModelInvariants, NewClassCountChangesOnlyTheDetectOutputs) {
  auto m80 = counting_model("yolov5m");
  auto m1 = counting_model("yolov5m", 1);
  // 20,871,318 at nc = 1 (the public report quoted in yolov5-facts.md).
  EXPECT_EQ(m1->num_parameters(), 20871318);
  EXPECT_EQ(m80->num_parameters() - m1->num_parameters(), (int64_t)3 * 79 * (192 + 384 + 768 + 3));
}

}  // namespace
}  // namespace yp::yolo
