// The YOLOv5 network as the training loop sees it: the gradient of the whole training loss through a tiny
// YOLOv5-grammar model against central finite differences in double precision, the official names and
// state, --model's transfer from a model file (new class count, RGB stem folded to gray), and the validation
// loop's detections equal to the inference path's on the same raw output.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "imgproc/image_io.h"
#include "tensor/autograd.h"
#include "tests/support/gradcheck.h"
#include "tests/train/tiny_yolo.h"
#include "train/initial_model.h"
#include "train/params.h"
#include "train/validate.h"
#include "yolo/detector.h"
#include "yolo/loss.h"
#include "yolo/model_file.h"

namespace fs = std::filesystem;
using namespace yp;
using namespace yp::train;

namespace {

// Every parameter and buffer of the model to float64; parameters keep requires_grad.
void to_double(yolo::Model& m) {
  for (auto& [name, t] : m.state_dict()) {
    const bool param = t->requires_grad();
    *t = t->to(DType::F64);
    if (param) t->set_requires_grad(true);
  }
}

}  // namespace

// loss(theta) = yolo_loss(loss_layout(model(x; theta))) with BN in training mode (batch statistics), so
// the check covers Conv, BN, SiLU, C3, SPPF's max-pools, Upsample, Concat, Detect, the permute and the loss.
// Objectness gain 0: the obj target is the detached CIoU, which finite differences would differentiate
// (tests/yolo/test_loss.cpp); ciou_alpha_grad: the gradient of CIoU as written, not YOLOv5's detached
// alpha. Two elements of every parameter tensor are checked (all ~4k take too long).
TEST(TrainingModel, WholeLossGradientMatchesFiniteDifferences) {
  const auto t0 = std::chrono::steady_clock::now();
  auto det = test::tiny_yolo(test::kGradcheckYoloYaml, 2, 1, 5);
  to_double(*det);
  Rng rng(11);
  const Tensor x = rand_uniform({2, 1, 32, 32}, 0.0, 1.0, rng, DType::F64);
  const std::vector<yolo::Target> targets = {
      {0, 1, 0.40, 0.45, 0.30, 0.25}, {0, 0, 0.75, 0.30, 0.20, 0.35}, {1, 0, 0.30, 0.70, 0.45, 0.40}};
  yolo::LossConfig lc;
  lc.nc = 2;
  lc.image_size = 32;
  lc.obj = 0.0;
  lc.label_smoothing = 0.1;
  lc.ciou_alpha_grad = true;
  const auto anchors = det->anchors();
  auto loss = [&]() {
    return yolo::yolo_loss(yolo::loss_layout(det->forward_raw(x), 2), anchors, targets, lc);
  };
  const NamedTensors params = model_parameters(*det);
  for (const auto& [n, t] : params) {
    Tensor h = t;
    h.zero_grad();
  }
  const yolo::LossResult r = loss();
  ASSERT_GT(r.positives, 0);
  ASSERT_GT(r.lbox, 0);
  ASSERT_GT(r.lcls, 0);
  r.total.backward();

  const double h = 1e-6;
  int checked = 0;
  NoGradGuard no_grad;
  for (const auto& [name, t] : params) {
    Tensor p = t;
    ASSERT_TRUE(p.grad().defined()) << name << " got no gradient";
    const Tensor g = p.grad();
    double* d = p.data<double>();
    const int64_t n = p.numel(), step = std::max<int64_t>(1, (n + 1) / 2);
    for (int64_t i = (n / 3) % step; i < n; i += step) {
      const double orig = d[i];
      d[i] = orig + h;
      const double lp = loss().total.item();
      d[i] = orig - h;
      const double lm = loss().total.item();
      d[i] = orig;
      const double numeric = (lp - lm) / (2 * h), analytic = g.data<double>()[i];
      ASSERT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::abs(numeric)) << name << "[" << i << "]";
      ++checked;
    }
  }
  std::printf("checked %d elements of %zu parameter tensors in %.2f s\n", checked, params.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_GT(checked, 150);
}

TEST(TrainingModel, OfficialNamesStateAndHead) {
  auto det = test::tiny_yolo(test::kTinyYoloYaml, 3, 1, 0);
  const NamedTensors params = model_parameters(*det);
  EXPECT_EQ(params.front().first, "model.0.conv.weight");
  EXPECT_EQ(params.front().second.shape(), (Shape{8, 1, 3, 3}));  // gray stem
  EXPECT_EQ(params.back().first, "model.14.m.1.bias");
  EXPECT_EQ(params.back().second.shape(), (Shape{3 * 8}));        // na * (5 + nc)
  bool has_running_var = false;
  for (const auto& [n, t] : training_state(*det)) {
    EXPECT_EQ(n.find("num_batches_tracked"), std::string::npos) << n;
    has_running_var = has_running_var || n == "model.0.bn.running_var";
  }
  EXPECT_TRUE(has_running_var);
  EXPECT_EQ(det->strides(), (std::vector<float>{8, 16}));
  ASSERT_EQ(det->anchors().size(), 2u);
  EXPECT_EQ(det->anchors()[0].to_vector(), (std::vector<float>{1, 1, 1.5, 1.5, 2, 2}));  // pixels / 8
  Rng rng(1);
  const auto raw = det->forward_raw(rand_uniform({2, 1, 64, 64}, 0.0, 1.0, rng));
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_EQ(raw[0].shape(), (Shape{2, 24, 8, 8}));
  EXPECT_EQ(raw[1].shape(), (Shape{2, 24, 4, 4}));
}

// --model x.safetensors for a data set with another class count and gray pictures: every tensor but the
// Detect outputs comes from the file (the stem summed over RGB), the outputs get the bias priors.
TEST(TrainingModel, TransfersFromAModelFileToNewClassesAndAGrayStem) {
  const fs::path dir = fs::temp_directory_path() / ("yp_transfer_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto rgb = test::tiny_yolo(test::kTinyYoloYaml, 1, 3, 4);
  const std::string path = (dir / "rgb.safetensors").string();
  yolo::ModelFileInfo info;
  info.names = {"a"};
  info.input.size = 64;
  yolo::save_model(path, *rgb, info);

  const InitialModel b = initial_model(path, 2, 1, 9);
  EXPECT_NE(b.report.find("transferred from 1 to 2 classes"), std::string::npos) << b.report;
  EXPECT_NE(b.report.find("stem folded"), std::string::npos) << b.report;
  EXPECT_EQ(b.model->nc(), 2);
  EXPECT_EQ(b.model->input_channels(), 1);
  EXPECT_TRUE(b.model->training());
  EXPECT_EQ(b.source.names, std::vector<std::string>{"a"});
  const NamedTensors from = training_state(*rgb), to = training_state(*b.model);
  ASSERT_EQ(from.size(), to.size());
  for (size_t i = 0; i < to.size(); ++i) {
    const std::string& n = to[i].first;
    if (n == "model.0.conv.weight") {
      EXPECT_EQ(to[i].second.to_vector(), yolo::fold_rgb_stem(from[i].second).to_vector());
    } else if (n.rfind("model.14.m.", 0) == 0) {
      EXPECT_NE(to[i].second.shape(), from[i].second.shape()) << n;
    } else {
      EXPECT_EQ(to[i].second.to_vector(), from[i].second.to_vector()) << n;
    }
  }
  // objectness bias of the stride-8 level (model.14.m.0.bias, anchor 0): the prior log(8 / (640 / 8)^2)
  // plus PyTorch's default init, |b| <= 1 / sqrt(16 input channels)
  ASSERT_EQ(to[to.size() - 3].first, "model.14.m.0.bias");
  EXPECT_NEAR(to[to.size() - 3].second.to_vector()[4], std::log(8.0 / (80.0 * 80.0)), 0.25);
  EXPECT_THROW(initial_model((dir / "missing.safetensors").string(), 1, 1, 0), Error);
  EXPECT_THROW(initial_model("model.onnx", 1, 1, 0), Error);
  fs::remove_all(dir);
}

// A gray model file made by --model from an RGB one gives `yolopick detect` (load_detector, and the input pipeline
// feeding it the gray plane, the RGB model that plane three times) the same predictions as the RGB model.
TEST(TrainingModel, GrayModelFileDetectsLikeTheRgbModelOnGrayPictures) {
  const fs::path dir = fs::temp_directory_path() / ("yp_graydet_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto rgb = test::tiny_yolo(test::kTinyYoloYaml, 1, 3, 6);
  yolo::ModelFileInfo meta;
  meta.input.size = 64;
  const std::string rgb_path = (dir / "rgb.safetensors").string(), gray_path = (dir / "gray.safetensors").string();
  yolo::save_model(rgb_path, *rgb, meta);
  yolo::save_model(gray_path, *initial_model(rgb_path, 1, 1, 0).model, meta);

  Rng rng(2);
  imgproc::LoadedImage picture;
  picture.format = "png";
  picture.image = imgproc::Image(64, 48);
  for (float& v : picture.image.data) v = std::round(static_cast<float>(rng.uniform(0, 255)));
  const yolo::Detector from_rgb = yolo::load_detector(rgb_path), from_gray = yolo::load_detector(gray_path);
  EXPECT_EQ(from_rgb.input().channels, 3);
  EXPECT_EQ(from_gray.input().channels, 1);
  auto predict = [&](const yolo::Detector& d) {
    return d.forward(yolo::network_input(picture, d.input(), d.stride).input).to_vector();
  };
  const std::vector<float> a = predict(from_rgb), b = predict(from_gray);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4 + 1e-4 * std::abs(a[i])) << i;
  fs::remove_all(dir);
}

// validate() decodes with the model's own inference decode: its detections are exactly NMS(predict(images)), what
// detect and pick compute, bit for bit. (Training once had a second decode of its own.)
TEST(TrainingModel, ValidationDetectionsEqualTheInferencePath) {
  const fs::path dir = fs::temp_directory_path() / ("yp_valdecode_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Rng rng(3);
  std::vector<Sample> samples;
  for (int i = 0; i < 3; ++i) {
    imgproc::Image im(64, 48);
    for (float& v : im.data) v = static_cast<float>(rng.uniform());
    Sample s;
    s.image_path = (dir / ("im" + std::to_string(i) + ".png")).string();
    s.labels = {{0, 0.5, 0.5, 0.3, 0.3}};
    imgproc::write_png(s.image_path, im);
    samples.push_back(s);
  }
  LoaderConfig lc;
  lc.input = {yolo::InputRule::Letterbox, "", 64, 1};
  lc.batch_size = 3;
  lc.augment = lc.shuffle = false;
  lc.workers = 0;
  DataLoader loader(samples, lc);
  auto model = test::tiny_yolo(test::kTinyYoloYaml, 2, 1, 8);
  yolo::LossConfig loss;
  loss.nc = 2;
  loss.image_size = 64;
  ValidationOptions vo;
  vo.conf_thres = 0;  // every row takes part: hundreds of detections per image
  vo.keep_images = 3;
  const ValidationResult v = validate(*model, loader, loss, vo);
  EXPECT_TRUE(model->training());

  model->eval();
  const Batch batch = loader.make_batch(0, 0, loader.epoch_order(0));
  yolo::NmsOptions nms;
  nms.conf_thres = vo.conf_thres;
  nms.iou_thres = vo.iou_thres;
  nms.max_det = vo.max_det;
  nms.multi_label = vo.multi_label;
  const auto want = yolo::non_max_suppression(model->predict(batch.images), nms);
  ASSERT_EQ(v.detections.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_GT(want[i].size(), 50u);
    ASSERT_EQ(v.detections[i].size(), want[i].size()) << "image " << i;
    for (size_t k = 0; k < want[i].size(); ++k) {
      const yolo::Detection &a = v.detections[i][k], &b = want[i][k];
      ASSERT_TRUE(a.x1 == b.x1 && a.y1 == b.y1 && a.x2 == b.x2 && a.y2 == b.y2 && a.conf == b.conf && a.cls == b.cls)
          << "image " << i << " detection " << k;
    }
  }
  fs::remove_all(dir);
}
