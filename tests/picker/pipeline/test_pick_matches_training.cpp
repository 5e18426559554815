// test_pick_matches_training.cpp: what training saw is what `pick` does. A tiny model is trained for two
// iterations on simulated micrographs (no chain, and the study's chain); then, on a non-square micrograph it never
// saw, the network input `pick` makes equals the validation loop's bit for bit, and `pick`'s picks (the model file
// loaded for inference, BatchNorm folded) are the validation loop's detections (the same file loaded as `train val`
// does) mapped to the micrograph. A pick path that fed the picture another way - the study's chain substituted for
// an empty one, a different resize or 8-bit rounding - fails here, though each half passes its own tests.
// With a recorded physical scale (twice the micrographs' pixel size) training takes crops and the validation loop
// tiles the micrograph at the model's scale: pick's tiles must equal the validation batch bit for bit, and pick's
// merged picks the validation loop's merged detections.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "imgproc/image_io.h"
#include "picker/pipeline/pick.h"
#include "picker/simulate.h"
#include "tests/train/tiny_yolo.h"
#include "train/trainer.h"
#include "train/validate.h"
#include "yolo/detector.h"
#include "yolo/model_file.h"

namespace yp::picker {
namespace {

namespace fs = std::filesystem;

// Training micrographs (512 px, particles ~50 px) with their labels, and a 512 x 384 crop of another one for
// validation (labels are not needed to compare detections).
std::vector<train::Sample> simulated(const fs::path& dir, train::Sample& val) {
  SimulationParams params;
  params.size = 512;
  params.pixel_A = 6.6;
  params.particles = 8;
  params.seed = 31;
  std::vector<train::Sample> out;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "sim" + std::to_string(i);
    write_simulated(dir.string(), name, simulate_micrograph(params, i), SimImages::Png);
    out.push_back({(dir / (name + ".png")).string(), train::read_yolo_labels((dir / (name + ".txt")).string(), 2)});
  }
  const std::vector<uint8_t> grey = simulate_micrograph(params, 7).to_grey();
  imgproc::Image crop(512, 384);
  for (int y = 0; y < 384; ++y)
    for (int x = 0; x < 512; ++x) crop.at(x, y) = grey[(size_t)(y + 64) * 512 + x] / 255.f;
  val.image_path = (dir / "val_crop.png").string();
  imgproc::write_png(val.image_path, crop);
  return out;
}

constexpr double kSimPixel = 6.6;  // A/px of the simulated micrographs (PNG: no header, given as --apix)

void expect_pick_matches_validation(const std::string& chain_steps, bool scaled = false) {
  const fs::path dir = fs::temp_directory_path() / ("yp_pick_vs_val_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  train::Sample val_sample;
  const std::vector<train::Sample> samples = simulated(dir, val_sample);

  train::LoaderConfig lc;
  lc.input = {yolo::InputRule::Letterbox, "", 128, 1};
  if (!chain_steps.empty()) yolo::set_chain(lc.input, chain_steps);
  if (scaled) {  // 512 px micrographs -> 256 px at the network; the 512 x 384 validation crop -> 6 tiles of 128
    lc.input.pixel_size = 2 * kSimPixel;
    lc.input.particle_diameter = 321;
    lc.apix = kSimPixel;
  }
  lc.batch_size = 3;
  lc.workers = 0;
  lc.augment_config.mosaic = 0;
  train::LoaderConfig vc = lc;
  vc.batch_size = 1;
  vc.augment = vc.shuffle = false;
  train::DataLoader train_data(samples, lc), val_data({val_sample}, vc);
  auto model = test::tiny_yolo(test::kTinyYoloYaml, 2, 1, 3);
  train::TrainConfig cfg;
  cfg.out_dir = (dir / "run").string();
  cfg.epochs = 2;  // one batch per epoch: two iterations, then last.safetensors
  cfg.verbose = cfg.plots = false;
  cfg.names = {"top", "side"};
  train::train(*model, train_data, val_data, cfg);
  const std::string model_file = (dir / "run" / "last.safetensors").string();

  // The validation loop on the model file, as `yolopick train val` runs it, with pick's NMS settings.
  yolo::LoadedModel loaded = yolo::load_model(model_file);
  ASSERT_EQ(loaded.info.input.chain, lc.input.chain) << "the model file records the training chain";
  ASSERT_EQ(loaded.info.input.pixel_size, lc.input.pixel_size) << "the model file records the training scale";
  ASSERT_EQ(loaded.info.input.particle_diameter, lc.input.particle_diameter);
  train::ValidationOptions vo;
  vo.conf_thres = 1e-4f;  // an untrained head scores low: keep hundreds of detections to compare
  vo.iou_thres = 0.45;
  vo.multi_label = false;
  vo.max_det = 3000;
  vo.keep_images = 1;
  yolo::LossConfig loss;
  loss.nc = 2;
  loss.image_size = 128;
  const train::ValidationResult v = train::validate(*loaded.model, val_data, loss, vo);

  // pick on the same micrograph, from the file.
  const yolo::Detector det = yolo::load_detector(model_file);
  imgproc::LoadedImage micrograph = imgproc::read_image(val_sample.image_path);
  yolo::set_pixel_size(micrograph, scaled ? kSimPixel : 0, det.input(), val_sample.image_path);
  PickOptions po;
  po.floor = vo.conf_thres;
  po.iou = vo.iou_thres;
  po.agnostic = false;
  po.max_det = vo.max_det;
  const PreparedMicrograph prepared = prepare_micrograph(micrograph, det, po);
  ASSERT_EQ(prepared.inputs.size(), scaled ? 6u : 1u);

  // 1. The same network inputs, bit for bit.
  const Tensor batch = val_data.make_batch(0, 0, val_data.epoch_order(0)).images;
  std::vector<float> pick_inputs;
  for (const yolo::NetworkInput& in : prepared.inputs) {
    const std::vector<float> v = in.input.to_vector();
    pick_inputs.insert(pick_inputs.end(), v.begin(), v.end());
  }
  EXPECT_TRUE(batch.to_vector() == pick_inputs) << "pick feeds other inputs";

  // 2. The same detections: validation's, in input pixels mapped to the micrograph (with a scale: merged across the
  // tiles and already in the micrograph's pixels); pick's picks (centre index). Pick drops centres off the
  // micrograph (in the letterbox's padding), validation scores them: compare the rest.
  const std::vector<Pick> picks = detect_prepared(prepared, det, po);
  std::vector<Pick> want;
  for (const yolo::Detection& d : v.detections[0]) {
    const Box<double> b = scaled ? Box<double>{d.x1, d.y1, d.x2, d.y2} : prepared.inputs[0].to_picture(d);
    const double cx = 0.5 * (b.x1 + b.x2), cy = 0.5 * (b.y1 + b.y2);
    if (cx < 0 || cy < 0 || cx > micrograph.image.width || cy > micrograph.image.height) continue;
    want.push_back({cx - 0.5, cy - 0.5, b.x2 - b.x1, b.y2 - b.y1, d.cls, d.conf});
  }
  ASSERT_GE(want.size(), 30u);
  // BatchNorm folded for inference moves scores by ~1e-6: compare the best 30, each to its nearest pick.
  for (size_t i = 0; i < 30; ++i) {
    const Pick& w = want[i];
    const auto near = std::min_element(picks.begin(), picks.end(), [&](const Pick& a, const Pick& b) {
      return std::hypot(a.x - w.x, a.y - w.y) < std::hypot(b.x - w.x, b.y - w.y);
    });
    ASSERT_NE(near, picks.end());
    EXPECT_NEAR(near->x, w.x, 1e-2) << "detection " << i;
    EXPECT_NEAR(near->y, w.y, 1e-2) << "detection " << i;
    EXPECT_NEAR(near->w, w.w, 1e-2) << "detection " << i;
    EXPECT_EQ(near->cls, w.cls) << "detection " << i;
    EXPECT_NEAR(near->confidence, w.confidence, 1e-4) << "detection " << i;
  }
  EXPECT_NEAR(double(picks.size()), double(want.size()), 0.01 * want.size() + 2);
  fs::remove_all(dir);
}

TEST(PickMatchesTraining, WithoutAChain) { expect_pick_matches_validation(""); }

TEST(PickMatchesTraining, WithTheStudysChain) { expect_pick_matches_validation("default"); }

TEST(PickMatchesTraining, AtARecordedScaleInTiles) { expect_pick_matches_validation("", true); }

TEST(PickMatchesTraining, AtARecordedScaleInTilesWithTheStudysChain) { expect_pick_matches_validation("default", true); }

}  // namespace
}  // namespace yp::picker
