// test_pick_cli.cpp: the `yolopick` command line as a user types it - an example in every --help, positional
// micrographs with short flags, MRC stacks, TIFF, and --permissive for old headers - run as the real program with
// the bundled model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <tiffio.h>

#include "imgproc/image_io.h"
#include "imgproc/mrc.h"
#include "picker/formats_box.h"
#include "picker/simulate.h"
#include "tests/support/run_command.h"
#include "util/text.h"
#include "tests/support/temp_dir.h"

#ifdef YOLOPICK_EXE
namespace yp::picker {
namespace {

namespace fs = std::filesystem;
using test::run_command;

const std::string kExe = YOLOPICK_EXE;
const std::string kModel = std::string(YOLOPICK_SOURCE_DIR) + "/models/klh_yolov5n.safetensors";

fs::path fresh_dir(const std::string& name) { return yp::test::fresh_temp_dir("cli_" + name); }

TEST(Cli, EveryHelpShowsAnExample) {
  for (const char* cmd : {"info", "import", "simulate", "evaluate", "preprocess", "detect", "pick", "train", "review"}) {
    std::string out;
    EXPECT_EQ(run_command(kExe + " " + cmd + " --help", out), 0) << cmd;
    EXPECT_NE(out.find(std::string("example: yolopick ") + cmd), std::string::npos) << cmd << ":\n" << out;
  }
}

// 2.2 A/px float micrographs of 300 x 300 px (the bundled model's scale, so nothing is resampled): enough to run
// the whole command; the picks on noise mean nothing.
void write_micrograph(const std::string& path, int seed) {
  imgproc::Image img(300, 300);
  for (size_t i = 0; i < img.size(); ++i) img.data[i] = float((i * 2654435761u + seed) % 1000) / 1000.f;
  imgproc::write_mrc(path, img, 2.2);
}

TEST(Cli, PickTakesPositionalMicrographsShortFlagsAndStacks) {
  const fs::path d = fresh_dir("pick");
  fs::create_directories(d / "mics");
  write_micrograph((d / "mics" / "a.mrc").string(), 1);
  write_micrograph((d / "mics" / "b.mrc").string(), 2);
  // A two-section stack: each section is its own micrograph, b_1 and b_2 in RELION's K@stack notation.
  {
    std::ifstream in(d / "mics" / "b.mrc", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const std::string data = bytes.substr(1024);
    const int32_t nz = 2;
    bytes.replace(8, 4, (const char*)&nz, 4);
    bytes.replace(36, 4, (const char*)&nz, 4);
    std::ofstream((d / "mics" / "s.mrcs").string(), std::ios::binary) << bytes << data;
  }
  const std::string out = (d / "out").string();
  std::string log;
  ASSERT_EQ(run_command(kExe + " pick -m " + kModel + " " + (d / "mics" / "a.mrc").string() + " " +
                            (d / "mics" / "s.mrcs").string() + " -o " + out + " -t 0.5 --no-png --quiet",
                        log),
            0)
      << log;
  for (const char* n : {"a_autopick.star", "s_1_autopick.star", "s_2_autopick.star", "autopick.star"})
    EXPECT_TRUE(fs::exists(fs::path(out) / n)) << n << "\n" << log;
  // No micrographs named: the message says where they go.
  EXPECT_EQ(run_command(kExe + " pick -m " + kModel + " -o " + out, log), 1);
  EXPECT_NE(log.find("no micrographs given"), std::string::npos) << log;
  fs::remove_all(d);
}

TEST(Cli, PermissiveReadsAnOldHeader) {
  const fs::path d = fresh_dir("permissive");
  const std::string mic = (d / "old.mrc").string();
  write_micrograph(mic, 3);
  {
    std::fstream f(mic, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(208);
    f.write("\0\0\0\0", 4);  // an old file without the "MAP " stamp
  }
  const std::string pick = kExe + " pick -m " + kModel + " " + mic + " --no-png --quiet -o " + (d / "out").string();
  std::string log;
  EXPECT_EQ(run_command(pick, log), 1);
  EXPECT_NE(log.find("--permissive"), std::string::npos) << log;
  EXPECT_EQ(run_command(pick + " --permissive", log), 0) << log;
  EXPECT_NE(log.find("no MAP identifier"), std::string::npos) << log;  // told what was tolerated
  EXPECT_TRUE(fs::exists(d / "out" / "old_autopick.star"));
  // NaN pixels: refused with the option named; --permissive sets them to 0 and says how many.
  imgproc::Image nan(300, 300, 1.f);
  nan.at(5, 7) = NAN;
  imgproc::write_mrc((d / "nan.mrc").string(), nan, 2.2);
  const std::string pick_nan = kExe + " pick -m " + kModel + " " + (d / "nan.mrc").string() + " --no-png --quiet -o " +
                               (d / "out_nan").string();
  EXPECT_EQ(run_command(pick_nan, log), 1);
  EXPECT_NE(log.find("1 pixels are NaN or infinite (--permissive sets them to 0)"), std::string::npos) << log;
  EXPECT_EQ(run_command(pick_nan + " --permissive", log), 0) << log;
  EXPECT_NE(log.find("1 non-finite pixels set to 0"), std::string::npos) << log;
  fs::remove_all(d);
}

// run.json: a pick folder records its settings; continuing it with others is refused with the difference named,
// --force redoes it with the new ones.
TEST(Cli, PickRecordsItsRunAndRefusesChangedSettings) {
  const fs::path d = fresh_dir("record");
  write_micrograph((d / "a.mrc").string(), 4);
  const std::string out = (d / "out").string();
  const std::string pick = kExe + " pick -m " + kModel + " " + (d / "a.mrc").string() + " -o " + out + " --no-png --quiet";
  std::string log;
  ASSERT_EQ(run_command(pick + " -t 0.5", log), 0) << log;
  const std::string record = read_text_file(out + "/run.json");
  EXPECT_NE(record.find("\"command\":\"pick\""), std::string::npos) << record;
  EXPECT_NE(record.find("\"conf\":\"0.5\""), std::string::npos) << record;
  EXPECT_NE(record.find("\"version\":\"yolopick "), std::string::npos) << record;
  EXPECT_EQ(run_command(pick + " -t 0.5", log), 0) << log;  // the same settings: resumes (nothing to do)
  EXPECT_NE(log.find("picked 0 micrograph(s)"), std::string::npos) << log;
  EXPECT_EQ(run_command(pick + " -t 0.3", log), 1);
  EXPECT_NE(log.find("records other settings: conf 0.5 (now 0.3)"), std::string::npos) << log;
  EXPECT_NE(log.find("--force"), std::string::npos) << log;
  EXPECT_EQ(run_command(pick + " -t 0.3 --force", log), 0) << log;
  EXPECT_NE(log.find("picked 1 micrograph(s)"), std::string::npos) << log;  // redone
  EXPECT_NE(read_text_file(out + "/run.json").find("\"conf\":\"0.3\""), std::string::npos);
  fs::remove_all(d);
}

// detect writes a new runs/detect/exp, exp2, ... each time (as YOLOv5 does), each with its run.json.
TEST(Cli, DetectRunFoldersIncrement) {
  const fs::path d = fresh_dir("detect");
  imgproc::Image img(200, 150, 0.5f);
  imgproc::write_png((d / "p.png").string(), img);
  const std::string detect = "cd " + d.string() + " && " + kExe + " detect -m " + kModel + " p.png --apix 2.2";
  std::string log;
  ASSERT_EQ(run_command(detect, log), 0) << log;
  ASSERT_EQ(run_command(detect, log), 0) << log;
  for (const char* run : {"exp", "exp2"}) {
    EXPECT_TRUE(fs::exists(d / "runs" / "detect" / run / "p.png")) << run;
    EXPECT_TRUE(fs::exists(d / "runs" / "detect" / run / "run.json")) << run;
  }
  EXPECT_FALSE(fs::exists(d / "runs" / "detect" / "exp3"));
  fs::remove_all(d);
}

// The same micrograph as MRC and as a float TIFF (written by libtiff here) gives the same picks: TIFF goes through
// the whole command, --apix standing in for the header's pixel size.
TEST(Cli, TiffAndMrcOfOneMicrographGiveTheSamePicks) {
  const fs::path d = fresh_dir("tiff");
  fs::create_directories(d / "mrc");
  fs::create_directories(d / "tif");
  SimulationParams params;
  params.size = 1024;
  params.seed = 5;
  params.particles = 12;
  const SimulatedMicrograph sim = simulate_micrograph(params, 0);
  imgproc::Image img(sim.size, sim.size);
  img.data = sim.counts;
  imgproc::write_mrc((d / "mrc" / "m.mrc").string(), img, 2.2);
  {
    TIFF* tif = TIFFOpen((d / "tif" / "m.tif").c_str(), "w");
    ASSERT_NE(tif, nullptr);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, img.width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, img.height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 32);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
    for (int y = 0; y < img.height; ++y) ASSERT_EQ(TIFFWriteScanline(tif, &img.data[(size_t)y * img.width], y, 0), 1);
    TIFFClose(tif);
  }
  std::string log;
  for (const char* kind : {"mrc", "tif"})
    ASSERT_EQ(run_command(kExe + " pick -m " + kModel + " " + (d / kind).string() + " --apix 2.2 --no-png --quiet -o " +
                              (d / (std::string("out_") + kind)).string(),
                          log),
              0)
        << log;
  EXPECT_EQ(read_text_file((d / "out_mrc" / "m.cbox").string()), read_text_file((d / "out_tif" / "m.cbox").string()));
  EXPECT_FALSE(read_cbox((d / "out_mrc" / "m.cbox").string()).picks.empty());
  fs::remove_all(d);
}

// The "Also" list of issue 14: a pick file as the model, and --steps none, each with the behaviour a user expects.
TEST(Cli, APickFileAsTheModelIsNamedAsSuch) {
  const fs::path d = fresh_dir("notmodel");
  std::ofstream(d / "picks.star") << "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n1 2\n";
  write_micrograph((d / "a.mrc").string(), 5);
  std::string log;
  EXPECT_EQ(run_command(kExe + " pick -m " + (d / "picks.star").string() + " " + (d / "a.mrc").string() + " -o " +
                            (d / "out").string(),
                        log),
            1);
  EXPECT_NE(log.find("picks.star: a star file is not a model"), std::string::npos) << log;
  fs::remove_all(d);
}

TEST(Cli, PreprocessStepsNoneKeepsThePicture) {
  const fs::path d = fresh_dir("stepsnone");
  imgproc::Image img(64, 48);
  for (size_t i = 0; i < img.size(); ++i) img.data[i] = float(40 + i % 150) / 255.f;  // 40..189: not full range
  imgproc::write_png((d / "p.png").string(), img);
  std::string log;
  ASSERT_EQ(run_command(kExe + " preprocess " + (d / "p.png").string() + " --steps none --quiet -o " + (d / "out").string(), log), 0)
      << log;
  const imgproc::Image in = imgproc::read_image((d / "p.png").string()).image;
  const imgproc::Image out = imgproc::read_image((d / "out" / "p.png").string()).image;
  EXPECT_EQ(out.data, in.data);  // the same bytes: no stretch
  fs::remove_all(d);
}

}  // namespace
}  // namespace yp::picker
#endif
