// The yolopick model file: metadata round trip, validation of every field, and the official
// yolov5n.pt imported into it and read back (skipped without the shared weights).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/yolo/io/fixtures.h"
#include "yolo/model_file.h"

using namespace yp::io;
using namespace yp::yolo;

namespace {

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("yp_mf_" + std::to_string(::getpid()) + "_" + name)).string();
}

ModelFileInfo sample_info() {
  ModelFileInfo info;
  info.nc = 2;
  info.names = {"particle", "ice \"crystal\""};
  info.anchors_pixels = {{10, 13, 16, 30, 33, 23}, {30, 61, 62, 45, 59, 119}};
  info.strides = {8, 16};
  info.yaml = "nc: 2\ndepth_multiple: 0.33\n";
  info.input = {InputRule::Letterbox, "steps = resize,clahe\nclahe.clip = 0.02\n", 1024, 1};
  return info;
}

std::string metadata_error(std::map<std::string, std::string> meta) {
  try {
    model_info_from_metadata(meta, "m.safetensors");
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(ModelFile, MetadataRoundTrip) {
  const ModelFileInfo in = sample_info();
  const auto meta = model_info_to_metadata(in);
  EXPECT_EQ(meta.at("names"), R"(["particle","ice \"crystal\""])");
  EXPECT_EQ(meta.at("strides"), "[8,16]");
  const ModelFileInfo out = model_info_from_metadata(meta, "m");
  EXPECT_EQ(out.nc, 2);
  EXPECT_EQ(out.names, in.names);
  EXPECT_EQ(out.anchors_pixels, in.anchors_pixels);
  EXPECT_EQ(out.strides, in.strides);
  EXPECT_EQ(out.yaml, in.yaml);
  EXPECT_EQ(out.input.rule, InputRule::Letterbox);
  EXPECT_EQ(out.input.size, 1024);
  EXPECT_EQ(out.input.channels, 1);
  EXPECT_EQ(out.input.chain, in.input.chain);
  EXPECT_EQ(meta.at("input_rule"), "letterbox");
  auto without = meta;
  without.erase("preprocessing");  // optional
  EXPECT_EQ(model_info_from_metadata(without, "m").input.chain, "");
}

// Files written before input_rule existed: a chain or a gray stem means `yolopick train` wrote it (it always trains a
// gray stem) - rule letterbox; an RGB file without a chain is an import - rule yolov5, pictures as they are.
TEST(ModelFile, InputRuleOfOlderFiles) {
  auto meta = model_info_to_metadata(sample_info());
  meta.erase("input_rule");
  EXPECT_EQ(model_info_from_metadata(meta, "m").input.rule, InputRule::Letterbox);  // chain and gray
  meta["preprocessing"] = "";
  EXPECT_EQ(model_info_from_metadata(meta, "m").input.rule, InputRule::Letterbox);  // gray
  meta["input_channels"] = "3";
  EXPECT_EQ(model_info_from_metadata(meta, "m").input.rule, InputRule::Yolov5);
  meta["input_rule"] = "yolov5";
  meta["preprocessing"] = "steps = clahe\n";
  EXPECT_NE(metadata_error(meta).find("rule yolov5 with a pre-processing chain"), std::string::npos);
  meta["input_rule"] = "tiles";
  EXPECT_NE(metadata_error(meta).find("unknown input rule 'tiles'"), std::string::npos);
}

// The physical scale: stored when recorded (the shortest decimal that reads back), read back exactly, absent in files
// that record none (older files, or models trained without one: they keep working as before).
TEST(ModelFile, ScaleRecordRoundTripAndAbsence) {
  ModelFileInfo in = sample_info();
  auto meta = model_info_to_metadata(in);
  EXPECT_EQ(meta.count("input_pixel_size"), 0u) << "no scale, no key: such files stay as they were";
  EXPECT_EQ(meta.count("particle_diameter"), 0u);
  EXPECT_FALSE(model_info_from_metadata(meta, "m").input.scaled());
  in.input.pixel_size = 3.54;
  in.input.particle_diameter = 191.16;
  meta = model_info_to_metadata(in);
  EXPECT_EQ(meta.at("input_pixel_size"), "3.54");
  EXPECT_EQ(meta.at("particle_diameter"), "191.16");
  const ModelFileInfo out = model_info_from_metadata(meta, "m");
  EXPECT_EQ(out.input.pixel_size, 3.54);
  EXPECT_EQ(out.input.particle_diameter, 191.16);
  EXPECT_TRUE(out.input == in.input);
  EXPECT_NEAR(out.input.particle_pixels(), 54.0, 1e-12);
  // Through a file, as `train` writes it and `pick` reads it.
  const std::string path = tmp_path("scaled.safetensors");
  yp::NamedTensors tensors;
  tensors.emplace_back("w", yp::Tensor::from_vector(std::vector<float>{1.f, 2.f}, {2}));
  write_model_file(path, tensors, in, yp::DType::F32);
  const ModelFileContents c = read_model_file(path);
  EXPECT_EQ(c.info.input.pixel_size, 3.54);
  EXPECT_EQ(c.info.input.particle_diameter, 191.16);
  std::filesystem::remove(path);
}

// The calibrated thresholds (yolopick calibrate): stored per class and read back exactly, through a file too; a file
// without them reads as "not calibrated" (pick then keeps its old default, 0.25).
TEST(ModelFile, ConfThresholdsRoundTripAndAbsence) {
  ModelFileInfo in = sample_info();
  auto meta = model_info_to_metadata(in);
  EXPECT_EQ(meta.count("conf_thresholds"), 0u) << "not calibrated, no key: such files stay as they were";
  EXPECT_TRUE(model_info_from_metadata(meta, "m").conf_thresholds.empty());
  in.conf_thresholds = {0.41f, 0.3675f};
  in.conf_calibration = "best F1 per class on 2 micrograph(s)";
  meta = model_info_to_metadata(in);
  EXPECT_EQ(meta.at("conf_thresholds"), "[0.41,0.3675]");
  const ModelFileInfo out = model_info_from_metadata(meta, "m");
  EXPECT_EQ(out.conf_thresholds, in.conf_thresholds);
  EXPECT_EQ(out.conf_calibration, in.conf_calibration);
  const std::string path = tmp_path("calibrated.safetensors");
  yp::NamedTensors tensors;
  tensors.emplace_back("w", yp::Tensor::from_vector(std::vector<float>{1.f, 2.f}, {2}));
  write_model_file(path, tensors, in, yp::DType::F16);
  const ModelFileContents c = read_model_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(c.info.conf_thresholds, in.conf_thresholds);
  EXPECT_EQ(c.info.conf_calibration, in.conf_calibration);
}

// Thresholds a person or another tool wrote wrong are refused when the file is read, naming the file and the key.
TEST(ModelFile, ConfThresholdsAreValidated) {
  ModelFileInfo in = sample_info();
  in.conf_thresholds = {0.5f, 0.25f};
  const auto good = model_info_to_metadata(in);
  auto with = [&](const std::string& v) {
    auto m = good;
    m["conf_thresholds"] = v;
    return metadata_error(m);
  };
  EXPECT_EQ(with("[0.5, 0]"), "no error");
  EXPECT_EQ(with("[1, 0.25]"), "no error");
  for (const char* bad : {"[0.5, -0.1]", "[1.5, 0.2]", "[0.5]", "[0.5, 0.2, 0.3]", "[0.5, \"a\"]", "0.5", "[]",
                          "[0.5, 1e999]"}) {
    const std::string e = with(bad);
    EXPECT_NE(e.find("m.safetensors"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("conf_thresholds"), std::string::npos) << bad << ": " << e;
  }
  EXPECT_NE(with("[0.5, -0.1]").find("must lie in [0, 1]"), std::string::npos);
  EXPECT_NE(with("[0.5]").find("1 thresholds for nc = 2"), std::string::npos);
  EXPECT_NE(with("[NaN, 0.2]").find("m.safetensors"), std::string::npos);  // not JSON: the parser names the file
  in.conf_thresholds = {0.5f};  // a writer cannot store a record it could not read back
  EXPECT_THROW(write_model_file(tmp_path("wrong_count.safetensors"), {}, in), yp::Error);
  EXPECT_FALSE(std::filesystem::exists(tmp_path("wrong_count.safetensors")));
}

TEST(ModelFile, ScaleRecordIsValidated) {
  ModelFileInfo in = sample_info();
  in.input.pixel_size = 2.2;
  const auto good = model_info_to_metadata(in);
  auto with = [&](const std::string& k, const std::string& v) {
    auto m = good;
    m[k] = v;
    return metadata_error(m);
  };
  EXPECT_EQ(with("input_pixel_size", "2.2"), "no error");
  EXPECT_NE(with("input_pixel_size", "-2").find("'input_pixel_size' = -2 is not a number in (0"), std::string::npos);
  EXPECT_NE(with("input_pixel_size", "0").find("not a number in"), std::string::npos);
  EXPECT_NE(with("input_pixel_size", "\"2.2\"").find("not a number in"), std::string::npos);
  EXPECT_NE(with("particle_diameter", "nan").find("particle_diameter"), std::string::npos);
  auto yolov5 = good;
  yolov5["input_rule"] = "yolov5";
  yolov5["preprocessing"] = "";
  EXPECT_NE(metadata_error(yolov5).find("needs input rule letterbox"), std::string::npos);
  auto unscaled = good;
  unscaled.erase("input_pixel_size");
  unscaled["particle_diameter"] = "190";
  EXPECT_NE(metadata_error(unscaled).find("without the input_pixel_size"), std::string::npos);
}

TEST(ModelFile, MetadataIsValidated) {
  const auto good = model_info_to_metadata(sample_info());
  auto with = [&](const std::string& k, const std::string& v) {
    auto m = good;
    m[k] = v;
    return metadata_error(m);
  };
  EXPECT_NE(with("format", "other").find("not a yolopick model file"), std::string::npos);
  EXPECT_NE(with("format_version", "2").find("version 2 is not supported"), std::string::npos);
  EXPECT_NE(with("nc", "3").find("but 2 names"), std::string::npos);
  EXPECT_NE(with("nc", "-1").find("outside"), std::string::npos);
  EXPECT_NE(with("nc", "2.5").find("not an integer"), std::string::npos);
  EXPECT_NE(with("names", "[1,2]").find("non-string"), std::string::npos);
  EXPECT_NE(with("strides", "[8,16,32]").find("2 anchor levels but 3 strides"), std::string::npos);
  EXPECT_NE(with("strides", "[8,-16]").find("must be > 0"), std::string::npos);
  EXPECT_NE(with("anchors", "[[10,13,16],[1,2]]").find("w,h pairs"), std::string::npos);
  EXPECT_NE(with("input_size", "1e9").find("not an integer"), std::string::npos);
  auto missing = good;
  missing.erase("yaml");
  EXPECT_NE(metadata_error(missing).find("lacks 'yaml'"), std::string::npos);
}

TEST(ModelFile, MiniCheckpointToModelFileAndBack) {
  const PtCheckpoint ck = load_pt_checkpoint(yp::test::fixture("mini.pt"));
  ModelFileContents pt = read_model_file(yp::test::fixture("mini.pt"));
  EXPECT_EQ(pt.format, "pt");
  const ModelFileInfo& info = pt.info;
  EXPECT_EQ(info.anchors_pixels[0], std::vector<float>({10, 13, 16, 30, 33, 23}));  // grid units x stride 8
  EXPECT_EQ(info.anchors_pixels[1], std::vector<float>({30, 61, 62, 45, 59, 119}));  // x stride 16
  EXPECT_EQ(info.input.channels, 3);  // the yaml's ch
  EXPECT_EQ(info.input.rule, InputRule::Yolov5);
  const std::string path = tmp_path("mini.safetensors");
  write_model_file(path, pt.tensors, info, yp::DType::F16);
  const ModelFileContents m = read_model_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(m.format, "safetensors");
  EXPECT_EQ(m.info.names, ck.names);
  EXPECT_EQ(m.info.yaml, ck.yaml_text);
  ASSERT_EQ(m.tensors.size(), ck.state_dict.size());
  for (size_t k = 0; k < m.tensors.size(); ++k) {
    EXPECT_EQ(m.tensors[k].first, ck.state_dict[k].first);
    EXPECT_EQ(m.tensors[k].second.to_vector(), ck.state_dict[k].second.to_vector());  // fp16 values survive exactly
  }
}

TEST(ModelFile, OfficialYolov5nRoundTrip) {
  YP_REQUIRE_SHARED(pt, "weights/yolov5n.pt");
  const PtCheckpoint ck = load_pt_checkpoint(pt);
  const ModelFileInfo info = read_model_file(pt).info;
  EXPECT_EQ(info.anchors_pixels[2], std::vector<float>({116, 90, 156, 198, 373, 326}));
  const std::string path = tmp_path("v5n.safetensors");
  write_model_file(path, ck.state_dict, info, yp::DType::F32);
  const ModelFileContents m = read_model_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(m.info.nc, 80);
  EXPECT_EQ(m.info.names[0], "person");
  ASSERT_EQ(m.tensors.size(), 349u);
  for (size_t k = 0; k < m.tensors.size(); ++k) {
    ASSERT_EQ(m.tensors[k].first, ck.state_dict[k].first);
    ASSERT_EQ(m.tensors[k].second.to_vector(), ck.state_dict[k].second.to_vector()) << m.tensors[k].first;
  }
}

// save_model takes the network's own fields from the live network and the rest from the caller.
TEST(ModelFile, SaveModelRecordsTheNetwork) {
  YP_REQUIRE_SHARED(pt, "weights/yolov5n.pt");
  LoadedModel lm = load_model(pt);
  ModelFileInfo info;
  info.nc = 7;  // overwritten by the network's
  info.names = lm.info.names;
  info.input = {InputRule::Letterbox, "steps = wiener\n", 1024, 1};
  const std::string path = tmp_path("save_model.safetensors");
  save_model(path, *lm.model, info, yp::DType::F16);
  const ModelFileContents m = read_model_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(m.info.nc, 80);
  EXPECT_EQ(m.info.input.size, 1024);
  EXPECT_EQ(m.info.input.channels, 3);
  EXPECT_EQ(m.info.input.chain, "steps = wiener\n");
  EXPECT_EQ(m.info.strides, std::vector<float>({8, 16, 32}));
  EXPECT_EQ(m.info.anchors_pixels[0], std::vector<float>({10, 13, 16, 30, 33, 23}));
  EXPECT_EQ(m.tensors.size(), 349u);
}

// A model file we write carries the SHA-256 of its tensor data: one flipped bit anywhere in the weights is an
// error naming the file (it gave 811 picks instead of 5 before). A file without the checksum still loads.
TEST(ModelFile, ChecksumCatchesAFlippedBitAndOlderFilesStillLoad) {
  const yp::NamedTensors tensors = {{"a", yp::Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {4})},
                                    {"b", yp::Tensor::from_vector(std::vector<float>{0.5f, -0.25f}, {2})}};
  const std::string path = tmp_path("checksum.safetensors");
  write_model_file(path, tensors, sample_info());
  const ModelFileContents good = read_model_file(path);
  EXPECT_TRUE(good.checksum_verified);
  EXPECT_EQ(good.metadata.at(kDataChecksumKey).size(), 64u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);  // inside tensor b's data
    char c = 0;
    f.read(&c, 1);
    c ^= 0x10;
    f.seekp(-3, std::ios::end);
    f.write(&c, 1);
  }
  try {
    read_model_file(path);
    ADD_FAILURE() << "a flipped bit was not noticed";
  } catch (const yp::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": the tensor data does not match the checksum"), std::string::npos)
        << e.what();
  }
  save_safetensors(path, tensors, model_info_to_metadata(sample_info()));  // as files before checksums were
  const ModelFileContents older = read_model_file(path);
  EXPECT_FALSE(older.checksum_verified);
  EXPECT_EQ(older.tensors.size(), 2u);
  std::filesystem::remove(path);
}

// A stored chain that could never run is refused when the metadata is read (info, import, detect and pick all
// read it first), naming the file - not once per micrograph.
TEST(ModelFile, InvalidStoredPreprocessingIsRefusedAtLoad) {
  auto meta = model_info_to_metadata(sample_info());
  meta["preprocessing"] = "steps = resize,clahe\nclahe.tiles_x = 0\n";
  const std::string e = metadata_error(meta);
  EXPECT_NE(e.find("m.safetensors: the stored pre-processing is invalid"), std::string::npos) << e;
  EXPECT_NE(e.find("clahe tiles 0x4"), std::string::npos) << e;
  meta["preprocessing"] = "steps = resize\nsharpen = 2\n";
  EXPECT_NE(metadata_error(meta).find("unknown key 'sharpen'"), std::string::npos);
}

// torch.save before 1.6 wrote a bare pickle; it used to be read as safetensors ("header length ... exceeds 100 MiB").
TEST(ModelFile, ALegacyPickleCheckpointIsNamed) {
  const std::string path = tmp_path("legacy.pt");
  std::ofstream(path, std::ios::binary) << std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);
  try {
    read_model_file(path);
    ADD_FAILURE() << "no error";
  } catch (const yp::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": a legacy PyTorch checkpoint"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}
