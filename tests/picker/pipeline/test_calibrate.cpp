// test_calibrate.cpp: the calibrated default threshold - the best-F1 threshold per class (marked positions
// honoured), labelled micrographs picked as pick picks them, pick's threshold taken from the model file unless
// --conf is given, and the command line end to end (calibrate -> info -> pick) with an imported yolov5n.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "picker/formats_text.h"
#include "picker/pick_io.h"
#include "picker/pipeline/calibrate.h"
#include "picker/pipeline/pick_run.h"
#include "stand_in.h"
#include "tests/support/run_command.h"
#include "tests/support/shared_data.h"
#include "util/text.h"
#include "yolo/model_file.h"
#include "tests/support/temp_dir.h"

namespace yp::picker {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) { return yp::test::fresh_temp_dir("calib_" + name); }

Pick at(double x, double y, int cls, double conf) {
  Pick p;
  p.x = x, p.y = y, p.w = p.h = 20, p.cls = cls, p.confidence = conf;
  return p;
}

// Four particles of class 0 found at 0.9 .. 0.6, two false picks at 0.65 and 0.64 near an ambiguous object, two
// more at 0.3 and 0.2. Best F1: 0.7 when the ambiguous object is not marked (P 1, R 0.75), 0.6 (P 1, R 1) when it
// is, since picks near an uncertain mark are ignored. Class 1 has no particle: it keeps the old default.
std::vector<MicrographPair> scene(bool mark_uncertain) {
  MicrographPair mp;
  mp.name = "m";
  for (int i = 0; i < 4; ++i) {
    mp.truth.push_back(at(100 + 100 * i, 100, 0, 1));
    mp.preds.push_back(at(101 + 100 * i, 100, 0, 0.9 - 0.1 * i));
  }
  mp.preds.push_back(at(100, 300, 0, 0.65));
  mp.preds.push_back(at(130, 300, 0, 0.64));
  mp.preds.push_back(at(500, 500, 0, 0.3));
  mp.preds.push_back(at(600, 500, 1, 0.2));
  if (mark_uncertain) mp.uncertain.push_back({115, 300, "aggregate?"});
  return {mp};
}

TEST(Calibrate, BestF1ThresholdPerClassWithMarkedPositionsHonoured) {
  const MatchRule rule{MatchRule::Kind::Distance, 10};
  const Calibration plain = choose_thresholds(scene(false), 2, rule, 40);
  ASSERT_EQ(plain.classes.size(), 2u);
  EXPECT_TRUE(plain.classes[0].measured);
  EXPECT_FLOAT_EQ(plain.classes[0].threshold, 0.7f);
  EXPECT_NEAR(plain.classes[0].f1, 2 * 0.75 / 1.75, 1e-12);
  EXPECT_EQ(plain.classes[0].at_threshold.tp, 3);
  EXPECT_EQ(plain.classes[0].at_default.picks, 7);  // at 0.25: 4 true, 3 false
  EXPECT_FALSE(plain.classes[1].measured);
  EXPECT_FLOAT_EQ(plain.classes[1].threshold, 0.25f);
  const Calibration marked = choose_thresholds(scene(true), 2, rule, 40);
  EXPECT_FLOAT_EQ(marked.classes[0].threshold, 0.6f);
  EXPECT_DOUBLE_EQ(marked.classes[0].f1, 1.0);
  EXPECT_EQ(marked.thresholds(), (std::vector<float>{0.6f, 0.25f}));
  EXPECT_NE(calibration_table(marked, {"bgal", "ice"}).find("no labelled particle"), std::string::npos);
  // Particles of class 1 that only false picks come near: no threshold gives F1 > 0, so none is chosen (not 0).
  std::vector<MicrographPair> missed = scene(false);
  missed[0].truth.push_back(at(900, 900, 1, 1));
  const Calibration none = choose_thresholds(missed, 2, rule, 40);
  EXPECT_FALSE(none.classes[1].measured);
  EXPECT_EQ(none.classes[1].truths, 1);
  EXPECT_FLOAT_EQ(none.classes[1].threshold, 0.25f);
  EXPECT_NE(calibration_table(none, {"bgal", "ice"}).find("no pick of this class matched one of its 1"),
            std::string::npos);
}

// A stand-in network that reports every bright pixel with its brightness as the score: a labelled micrograph's
// particles and false objects get the scores we drew them with.
yolo::ForwardFn brightness_scorer() {
  return [](const Tensor& x) {
    const int64_t h = x.size(2), w = x.size(3);
    const std::vector<float> v = x.to_vector();
    std::vector<test::InputBox> found;
    for (int64_t y = 0; y < h; ++y)
      for (int64_t i = 0; i < w; ++i)
        if (v[y * w + i] > 0.1f) found.push_back({i + 0.5, y + 0.5, 16, 16, 0, v[y * w + i]});
    return test::decoded_rows(found, 1);
  };
}

TEST(Calibrate, LabelledMicrographsArePickedAsPickPicksThem) {
  const fs::path d = fresh_dir("labelled");
  // Particles at brightness 1.0 and 0.6 (labelled), false objects at 0.4 and 0.2.
  imgproc::Image img(256, 256, 0.f);
  img.at(40, 50) = 1.f, img.at(200, 60) = 0.6f, img.at(120, 200) = 0.4f, img.at(30, 220) = 0.2f;
  imgproc::write_png((d / "m.png").string(), img);
  MicrographPicks labels;
  labels.width = labels.height = 256;
  labels.picks = {at(40, 50, 0, 1), at(200, 60, 0, 1)};
  write_yolo_txt((d / "m.txt").string(), labels, false);
  const yolo::Detector model = test::stand_in_model(brightness_scorer(), 1, 256);
  CalibrationOptions o;
  o.rule = {MatchRule::Kind::Distance, 5};
  const auto scored = pick_labelled(model, {{(d / "m.png").string(), (d / "m.txt").string()}}, o);
  ASSERT_EQ(scored.size(), 1u);
  EXPECT_EQ(scored[0].truth.size(), 2u);
  // Exactly pick's picks: the same call with the same options.
  test::expect_same_picks(scored[0].preds, pick_micrograph(imgproc::read_image((d / "m.png").string()), model, o.pick),
                          1e-9);
  ASSERT_EQ(scored[0].preds.size(), 4u);
  const Calibration c = choose_thresholds(scored, 1, o.rule, 40);
  EXPECT_NEAR(c.classes[0].threshold, 153 / 255.0, 1e-6);  // the dimmer particle's 8-bit brightness
  EXPECT_DOUBLE_EQ(c.classes[0].f1, 1.0);
  // The false object's hard-negative mark is read beside the labels and counted as such.
  std::ofstream(d / "m.excluded.txt") << "120 200 debris\n";
  const auto marked = pick_labelled(model, {{(d / "m.png").string(), (d / "m.txt").string()}}, o);
  EXPECT_EQ(marked[0].excluded.size(), 1u);
  fs::remove_all(d);
}

TEST(Calibrate, PickUsesTheModelsThresholdsUnlessConfIsGiven) {
  yolo::ModelFileInfo info;
  info.nc = 2;
  info.names = {"top", "side"};
  std::string source;
  ConfThreshold t = default_conf_threshold(info, -1, &source);  // not calibrated: as before
  EXPECT_TRUE(t.per_class.empty());
  EXPECT_EQ(t.of(0), 0.25);
  EXPECT_NE(source.find("default"), std::string::npos);
  info.conf_thresholds = {0.5f, 0.375f};
  info.conf_calibration = "best F1 per class on 2 micrograph(s)";
  t = default_conf_threshold(info, -1, &source);
  EXPECT_EQ(t.of(0), 0.5);
  EXPECT_EQ(t.of(1), 0.375);
  EXPECT_EQ(t.lowest(), 0.375);
  EXPECT_EQ(t.str(info.names), "top 0.500, side 0.375");
  EXPECT_NE(source.find("calibrated"), std::string::npos);
  EXPECT_NE(source.find(info.conf_calibration), std::string::npos);
  EXPECT_TRUE(t.keeps(at(0, 0, 1, 0.4)));
  EXPECT_FALSE(t.keeps(at(0, 0, 0, 0.4)));
  t = default_conf_threshold(info, 0.1, &source);  // --conf wins
  EXPECT_TRUE(t.per_class.empty());
  EXPECT_EQ(t.of(0), 0.1);
  EXPECT_NE(source.find("--conf"), std::string::npos);

  // The outputs of a pick run apply the per-class thresholds; the .cbox keeps everything.
  const fs::path d = fresh_dir("outputs");
  MicrographPicks all;
  all.micrograph = "m.png";
  all.width = all.height = 100;
  all.picks = {at(10, 10, 0, 0.6), at(30, 10, 0, 0.45), at(50, 10, 1, 0.4), at(70, 10, 1, 0.3)};
  const MicrographOutputs out = outputs_for(d.string(), "m.png");
  write_micrograph_outputs(out, all, default_conf_threshold(info, -1, nullptr), info.names, PickPicture{});
  const MicrographPicks csv = read_picks_csv(out.csv);
  ASSERT_EQ(csv.picks.size(), 2u);  // top 0.6 (>= 0.5) and side 0.4 (>= 0.375)
  EXPECT_NEAR(csv.picks[0].confidence, 0.6, 1e-6);
  EXPECT_EQ(csv.picks[0].cls, 0);
  EXPECT_NEAR(csv.picks[1].confidence, 0.4, 1e-6);
  EXPECT_EQ(csv.picks[1].cls, 1);
  fs::remove_all(d);
}

#ifdef YOLOPICK_EXE
using test::run_command;

// calibrate -> the model file records the thresholds -> info shows them -> pick uses and prints them, --conf
// overrides. An untrained 1-class transfer of yolov5n: its picks mean nothing, the thresholds are whatever fits.
TEST(CalibrateCommand, EndToEndWithAnImportedYolov5n) {
  YP_REQUIRE_SHARED(weights, "weights/yolov5n.pt");
  const fs::path d = fresh_dir("cli");
  const std::string exe = YOLOPICK_EXE;
  const std::string model = (d / "m.safetensors").string(), calibrated = (d / "c.safetensors").string();
  ASSERT_EQ(run_command(exe + " import " + weights + " -o " + model + " --gray --nc 1 --names particle --input-size 256"), 0);
  ASSERT_EQ(run_command(exe + " simulate --n 2 --size 256 --format png -o " + (d / "sim").string()), 0);
  fs::create_directories(d / "data" / "images" / "val");
  fs::create_directories(d / "data" / "labels" / "val");
  for (const char* n : {"sim_00000", "sim_00001"}) {
    fs::copy_file(d / "sim" / (std::string(n) + ".png"), d / "data" / "images" / "val" / (std::string(n) + ".png"));
    MicrographPicks truth = read_yolo_txt((d / "sim" / (std::string(n) + ".txt")).string(), 256, 256);
    for (Pick& p : truth.picks) p.cls = 0;  // one class
    write_yolo_txt((d / "data" / "labels" / "val" / (std::string(n) + ".txt")).string(), truth, false);
  }
  std::ofstream(d / "data" / "data.yaml") << "path: " << (d / "data").string()
                                          << "\ntrain: images/val\nval: images/val\nnc: 1\nnames: ['particle']\n";
  std::string log;
  ASSERT_EQ(run_command(exe + " calibrate -m " + model + " --data " + (d / "data" / "data.yaml").string() +
                            " --match dist:10 -o " + calibrated, log), 0) << log;
  const yolo::ModelFileInfo info = yolo::read_model_file(calibrated).info;
  ASSERT_EQ(info.conf_thresholds.size(), 1u) << log;
  EXPECT_NE(info.conf_calibration.find("dist:10"), std::string::npos);
  EXPECT_TRUE(yolo::read_model_file(model).info.conf_thresholds.empty());  // -o: the source is left as it was
  ASSERT_EQ(run_command(exe + " info " + calibrated, log), 0);
  EXPECT_NE(log.find("(calibrated; pick's default)"), std::string::npos) << log;
  const std::string pick = exe + " pick --no-png --quiet --input " + (d / "data" / "images" / "val").string() + " -o ";
  ASSERT_EQ(run_command(pick + (d / "p1").string() + " --model " + calibrated, log), 0) << log;
  EXPECT_NE(log.find("confidence threshold: particle " + fmt(info.conf_thresholds[0], 3) + " (calibrated"),
            std::string::npos) << log;
  ASSERT_EQ(run_command(pick + (d / "p2").string() + " --model " + calibrated + " --conf 0.3", log), 0) << log;
  EXPECT_NE(log.find("confidence threshold: 0.300 (--conf, over the model's calibrated thresholds)"),
            std::string::npos) << log;
  ASSERT_EQ(run_command(pick + (d / "p3").string() + " --model " + model, log), 0) << log;
  EXPECT_NE(log.find("confidence threshold: 0.250 (default"), std::string::npos) << log;
  // The CSV of the calibrated run holds exactly the .cbox picks at or above the calibrated threshold.
  const MicrographPicks cbox = read_picks((d / "p1" / "sim_00000.cbox").string(), {});
  size_t above = 0;
  for (const Pick& p : cbox.picks) above += p.confidence >= info.conf_thresholds[0];
  EXPECT_EQ(read_picks_csv((d / "p1" / "sim_00000.csv").string()).picks.size(), above);
  fs::remove_all(d);
}
// calibrate --thresholds: operating points measured elsewhere (a cross-validation) stored with how they were
// measured; a wrong count, a value outside [0, 1] or a missing --how is refused and leaves the file as it was.
TEST(CalibrateCommand, StoresGivenThresholdsWithHowTheyWereMeasured) {
  YP_REQUIRE_SHARED(weights, "weights/yolov5n.pt");
  const fs::path d = fresh_dir("given");
  const std::string exe = YOLOPICK_EXE;
  const std::string model = (d / "m.safetensors").string();
  ASSERT_EQ(run_command(exe + " import " + weights + " -o " + model + " --gray --nc 2 --names top,side --input-size 256"), 0);
  std::string log;
  EXPECT_NE(run_command(exe + " calibrate -m " + model + " --thresholds 0.5 --how x", log), 0);  // one of two
  EXPECT_NE(log.find("2 classes, 1 threshold(s) given"), std::string::npos) << log;
  EXPECT_NE(run_command(exe + " calibrate -m " + model + " --thresholds 0.5,1.5 --how x", log), 0);
  EXPECT_NE(run_command(exe + " calibrate -m " + model + " --thresholds 0.5,0.6", log), 0);  // no --how
  EXPECT_TRUE(yolo::read_model_file(model).info.conf_thresholds.empty());
  ASSERT_EQ(run_command(exe + " calibrate -m " + model + " --thresholds 0.862,0.771 --how 'leave-one-out'", log), 0)
      << log;
  const yolo::ModelFileInfo info = yolo::read_model_file(model).info;
  ASSERT_EQ(info.conf_thresholds.size(), 2u);
  EXPECT_FLOAT_EQ(info.conf_thresholds[0], 0.862f);
  EXPECT_FLOAT_EQ(info.conf_thresholds[1], 0.771f);
  EXPECT_EQ(info.conf_calibration, "leave-one-out");
  fs::remove_all(d);
}
#endif

}  // namespace
}  // namespace yp::picker
