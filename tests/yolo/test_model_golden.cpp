// test_model_golden.cpp: the official yolov5n.pt through our importer and forward, against the raw
// Detect outputs and decoded predictions of an independent implementation on bus.jpg
// (../shared/golden/yolov5n_coco/README.txt). Tolerance from that README:
//   max |ours - ref| <= 1e-3 * max(1, |ref|).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tensor/autograd.h"
#include "tests/support/shared_data.h"
#include "tests/yolo/coco_golden.h"
#include "yolo/io/pt_checkpoint.h"
#include "yolo/model.h"
#include "yolo/model_weights.h"

namespace yp::yolo {
namespace {

using test::read_f32;

// Largest |a - b| / max(1, |b|), with where it happened.
struct Worst {
  double ratio = 0;
  size_t index = 0;
};
Worst worst_error(const float* a, const float* b, size_t n) {
  Worst w;
  for (size_t i = 0; i < n; ++i) {
    const double r = std::abs((double)a[i] - b[i]) / std::max(1.0, std::abs((double)b[i]));
    if (!(r <= w.ratio)) w = {r, i};
  }
  return w;
}

class GoldenYolov5n : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string weights = test::shared_path("weights/yolov5n.pt");
    const std::string golden = test::shared_path("golden/yolov5n_coco/bus.raw.f32");
    if (!std::filesystem::exists(weights) || !std::filesystem::exists(golden))
      GTEST_SKIP() << "shared data absent: " << weights << " / " << golden;
    const io::PtCheckpoint ck = io::load_pt_checkpoint(weights);
    model_ = std::make_unique<Model>(parse_yolo_config(ck.yaml_text, "yolov5n.pt yaml"));
    const LoadReport report = load_state_dict(*model_, ck.state_dict);
    ASSERT_TRUE(report.complete()) << report.summary();
    ASSERT_EQ(report.loaded, 349);
    const std::vector<float> in = read_f32(test::shared_path("golden/yolov5n_coco/bus.input.f32"), 3 * 640 * 480);
    input_ = Tensor::from_vector(in, {1, 3, 640, 480});
  }

  void check(Model& model) {
    NoGradGuard no_grad;
    const ModelOutput out = model.forward(input_);
    const std::vector<Shape> shapes = {{1, 255, 80, 60}, {1, 255, 40, 30}, {1, 255, 20, 15}};
    size_t total = 0;
    for (const Shape& s : shapes) total += (size_t)shape_numel(s);
    const std::vector<float> ref = read_f32(test::shared_path("golden/yolov5n_coco/bus.raw.f32"), total);
    size_t offset = 0;
    for (size_t l = 0; l < 3; ++l) {
      ASSERT_EQ(out.raw[l].shape(), shapes[l]);
      const std::vector<float> ours = out.raw[l].to_vector();
      const Worst w = worst_error(ours.data(), ref.data() + offset, ours.size());
      EXPECT_LE(w.ratio, 1e-3) << "raw level " << l << " at " << w.index << ": ours " << ours[w.index] << " ref "
                               << ref[offset + w.index];
      offset += ours.size();
    }
    ASSERT_EQ(out.decoded.shape(), (Shape{1, 18900, 85}));
    const std::vector<float> dref = read_f32(test::shared_path("golden/yolov5n_coco/bus.decoded.f32"), 18900 * 85);
    const std::vector<float> dours = out.decoded.to_vector();
    const Worst w = worst_error(dours.data(), dref.data(), dours.size());
    EXPECT_LE(w.ratio, 1e-3) << "decoded at row " << w.index / 85 << " col " << w.index % 85 << ": ours "
                             << dours[w.index] << " ref " << dref[w.index];
  }

  std::unique_ptr<Model> model_;
  Tensor input_;
};

TEST_F(GoldenYolov5n, RawAndDecodedOutputsMatchWithBatchNorm) {
  model_->eval();
  check(*model_);
}

TEST_F(GoldenYolov5n, RawAndDecodedOutputsMatchWithFoldedBatchNorm) {
  model_->fuse();
  check(*model_);
}

TEST_F(GoldenYolov5n, CheckpointMetadataAgreesWithTheBuiltModel) {
  const io::PtCheckpoint ck = io::load_pt_checkpoint(test::shared_path("weights/yolov5n.pt"));
  EXPECT_EQ(model_->nc(), ck.nc);
  EXPECT_EQ(model_->strides(), ck.strides);
  // The anchors a fresh model derives from the yaml (pixels / stride) equal the stored buffer.
  const Model fresh(parse_yolo_config(ck.yaml_text, "yolov5n.pt yaml"));
  ASSERT_TRUE(ck.anchors_grid.defined());
  EXPECT_EQ(fresh.detect().anchors.to_vector(), ck.anchors_grid.to_vector());
  EXPECT_EQ(model_->num_parameters(), 1872157);
}

}  // namespace
}  // namespace yp::yolo
