// The bundled KLH picker (models/klh_yolov5n.safetensors, recipe scripts/train_klh_picker.sh): it loads as
// a picker with the study's classes and chain, and it still finds the particles of micrographs the simulator
// makes with a seed it was not trained on. The bar sits below what the committed model reaches (docs/results.md),
// so a retrained model that is clearly worse, or a change that breaks picking, fails here.
// `yolopick import MODEL --fp16` re-writes a model file and keeps what the picker needs, and fine-tuning it
// with `yolopick train` keeps its pre-processing chain.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "imgproc/chain.h"
#include "picker/evaluate.h"
#include "picker/pipeline/pick.h"
#include "picker/simulate.h"
#include "tests/support/run_command.h"
#include "yolo/model_file.h"

namespace yp::picker {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(YOLOPICK_SOURCE_DIR) + "/models/klh_yolov5n.safetensors";

TEST(BundledModel, LoadsWithTheStudysClassesAndChain) {
  const yolo::Detector m = yolo::load_detector(kModel);
  EXPECT_EQ(m.nc(), 2);
  EXPECT_EQ(m.names(), (std::vector<std::string>{"top", "side"}));
  const yolo::InputPipeline& in = m.input();
  EXPECT_EQ(in.rule, yolo::InputRule::Letterbox);  // written before the rule was recorded: it stores a chain
  EXPECT_EQ(in.channels, 1);
  EXPECT_EQ(in.size, 640);
  const imgproc::ChainConfig chain = imgproc::chain_config_from_text(in.chain);
  EXPECT_TRUE(chain.resize && chain.wavelet && chain.wiener && chain.clahe);
  EXPECT_EQ(chain.width, 640);
}

TEST(BundledModel, PicksUnseenSimulatedMicrographs) {
  const yolo::Detector m = yolo::load_detector(kModel);
  SimulationParams params;
  params.seed = 4242;
  std::vector<MicrographPair> data;
  for (int i = 0; i < 2; ++i) {
    const SimulatedMicrograph sim = simulate_micrograph(params, i);
    imgproc::LoadedImage raw;  // the 8-bit picture `yolopick simulate` writes, as in training
    raw.format = "png";
    raw.image = imgproc::Image(sim.size, sim.size);
    const std::vector<uint8_t> grey = sim.to_grey();
    std::copy(grey.begin(), grey.end(), raw.image.data.begin());
    MicrographPair pair;
    pair.name = "sim_" + std::to_string(i);
    pair.truth = sim.truth(pair.name).picks;
    pair.preds = pick_micrograph(raw, m, {});
    data.push_back(pair);
  }
  const EvaluationReport r = evaluate_picks(data, parse_match_rule("iou:0.5"), 0.25);
  const ClassMetrics& all = r.overall;
  EXPECT_GE(all.n_truth, 40);
  EXPECT_GE(all.precision, 0.85) << report_table(r);
  EXPECT_GE(all.recall, 0.85) << report_table(r);
  for (const ClassMetrics& c : r.per_class) EXPECT_GE(c.f1, 0.8) << "class " << c.cls << "\n" << report_table(r);
}

#ifdef YOLOPICK_EXE
using test::run_command;

// Fine-tuning the bundled picker keeps its pre-processing: the images go through the stored chain and the new
// model files carry it (a model file without it would make `pick` feed raw micrographs to a picker that
// learned pre-processed ones). One iteration, so the model is still the bundled one and validates as well.
TEST(BundledModel, FineTuningKeepsTheStoredChain) {
  const fs::path d = fs::temp_directory_path() / "yp_finetune_bundled";
  fs::remove_all(d);
  const std::string exe = YOLOPICK_EXE;
  ASSERT_EQ(run_command(exe + " simulate --n 2 --size 1024 --seed 77 --format png -o " + (d / "train").string()), 0);
  ASSERT_EQ(run_command(exe + " simulate --n 1 --size 1024 --seed 78 --format png -o " + (d / "val").string()), 0);
  std::ofstream(d / "data.yaml") << "train: train\nval: val\nnc: 2\nnames: [top, side]\n";
  ASSERT_EQ(run_command(exe + " train --data " + (d / "data.yaml").string() + " --model " + kModel +
                        " --epochs 1 --batch 2 --out " + (d / "run").string()),
            0);
  const yolo::LoadedModel bundled = yolo::load_model(kModel), tuned = yolo::load_model((d / "run" / "last.safetensors").string());
  EXPECT_EQ(tuned.info.input.chain, bundled.info.input.chain);
  EXPECT_EQ(tuned.info.input.rule, yolo::InputRule::Letterbox);
  EXPECT_EQ(tuned.info.names, bundled.info.names);
  fs::remove_all(d);
}

TEST(BundledModel, ImportFp16KeepsTheModel) {
  const fs::path d = fs::temp_directory_path() / "yp_import_fp16";
  fs::remove_all(d);
  fs::create_directories(d);
  const std::string exe = YOLOPICK_EXE, out = (d / "m16.safetensors").string();
  ASSERT_EQ(run_command(exe + " import " + kModel + " --fp16 -o " + out), 0);
  const yolo::LoadedModel a = yolo::load_model(kModel), b = yolo::load_model(out);
  EXPECT_EQ(b.info.names, a.info.names);
  EXPECT_EQ(b.info.input.size, a.info.input.size);
  EXPECT_EQ(b.info.input.chain, a.info.input.chain);
  EXPECT_EQ(b.info.input.rule, a.info.input.rule);
  // The bundled file is float16 already: the tensor data is as large (the metadata may have grown by a key).
  auto data_bytes = [](const std::string& path) {
    uint64_t header = 0;
    std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(&header), sizeof header);
    return fs::file_size(path) - sizeof header - header;
  };
  EXPECT_EQ(data_bytes(out), data_bytes(kModel));
  // Options that only make sense for a COCO .pt are refused with an error, and nothing is written.
  EXPECT_EQ(run_command(exe + " import " + kModel + " --nc 3 -o " + (d / "x.safetensors").string()), 1);
  EXPECT_FALSE(fs::exists(d / "x.safetensors"));
  fs::remove_all(d);
}
#endif

}  // namespace
}  // namespace yp::picker
