// .pt import: the mini fixture against the values its independent Python writer recorded, the
// hostile fixtures, and the official yolov5n.pt from the shared folder (skipped when absent).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/yolo/io/fixtures.h"
#include "yolo/io/pt_checkpoint.h"
#include "yolo/yaml_config.h"

using namespace yp::io;
using yp::test::fixture;
using yp::test::read_bytes;

namespace {

struct Expected {
  std::string name, dtype;
  yp::Shape shape;
  std::vector<double> values;
};

std::vector<Expected> read_expected(const std::string& path) {
  std::ifstream f(path);
  std::vector<Expected> out;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream is(line);
    Expected e;
    std::string shape;
    is >> e.name >> e.dtype >> shape;
    shape = shape.substr(1, shape.size() - 2);
    std::istringstream ss(shape);
    for (std::string d; std::getline(ss, d, ',');) e.shape.push_back(std::stoll(d));
    for (double v; is >> v;) e.values.push_back(v);
    out.push_back(e);
  }
  return out;
}

std::string load_error(const std::string& path) {
  try {
    load_pt_checkpoint(path);
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(PtCheckpoint, MiniMatchesThePythonWriter) {
  const PtCheckpoint ck = load_pt_checkpoint(fixture("mini.pt"));
  const auto expected = read_expected(fixture("mini_expected.txt"));
  ASSERT_EQ(expected.size(), 11u);
  ASSERT_EQ(ck.state_dict.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    const auto& [name, t] = ck.state_dict[k];
    const Expected& e = expected[k];
    EXPECT_EQ(name, e.name);
    EXPECT_EQ(t.shape(), e.shape) << name;
    const yp::DType want = e.dtype == "f16" ? yp::DType::F16 : e.dtype == "f32" ? yp::DType::F32 : yp::DType::F64;
    EXPECT_EQ(t.dtype(), want) << name;
    ASSERT_EQ((size_t)t.numel(), e.values.size()) << name;
    for (size_t i = 0; i < e.values.size(); ++i) ASSERT_EQ(t.at((int64_t)i), e.values[i]) << name << "[" << i << "]";
  }
  // Order and naming as nn.Module.state_dict(): params, buffers, children; bias=None skipped.
  EXPECT_EQ(ck.state_dict[0].first, "model.0.conv.weight");
  EXPECT_EQ(ck.state_dict[5].first, "model.0.bn.num_batches_tracked");
  EXPECT_EQ(ck.state_dict[6].first, "model.1.anchors");
  EXPECT_EQ(ck.state_dict[10].first, "model.1.m.1.bias");
  EXPECT_EQ(ck.model_key, "ema");  // ema is preferred over model when present
  EXPECT_EQ(ck.model_class, "models.yolo.Model");
  EXPECT_EQ(ck.nc, 2);
  EXPECT_EQ(ck.names, std::vector<std::string>({"particle", "ice"}));
  EXPECT_EQ(ck.strides, std::vector<float>({8.f, 16.f}));
  EXPECT_EQ(ck.anchors_grid.shape(), yp::Shape({2, 3, 2}));
  EXPECT_EQ(ck.anchors_grid.at(0), 1.25);
  EXPECT_EQ(ck.anchors_grid.at(11), 7.4375);
  EXPECT_EQ(ck.epoch, 5);
  EXPECT_EQ(ck.date, "2024-01-02T03:04:05");
  EXPECT_EQ(ck.yaml_text,
            "nc: 2\n"
            "depth_multiple: 0.33\n"
            "width_multiple: 0.25\n"
            "anchors:\n"
            "  - [10, 13, 16, 30, 33, 23]\n"
            "  - [30, 61, 62, 45, 59, 119]\n"
            "backbone:\n"
            "  - [-1, 1, Conv, [4, 3, 1]]\n"
            "head:\n"
            "  - [-1, 1, nn.Upsample, [None, 2, nearest]]\n"
            "  - [[0, 0], 1, Detect, [nc, anchors]]\n"
            "ch: 3\n");
}

TEST(PtCheckpoint, UnstrippedLastPt) {
  // numpy scalar (with its bytes through _codecs.encode), pathlib path, argparse Namespace, optimizer state.
  const PtCheckpoint ck = load_pt_checkpoint(fixture("mini_last.pt"));
  EXPECT_EQ(ck.model_key, "ema");
  EXPECT_EQ(ck.epoch, 41);
  EXPECT_EQ(ck.state_dict.size(), 11u);
  EXPECT_EQ(ck.names, std::vector<std::string>({"particle", "ice"}));
  const auto zip = read_bytes(fixture("mini_last.pt"));
  const ZipReader r = ZipReader::from_memory(zip.data(), zip.size(), "last.pt");
  const ZipEntry* e = r.find("mini/data.pkl");
  const PickleTree t = unpickle(r.data(*e), (size_t)e->size, "last.pt");
  const PyValue* best = t.root()->get("best_fitness");
  ASSERT_TRUE(best->is(PyKind::Object));
  EXPECT_EQ(best->class_name(), "numpy._core.multiarray.scalar");
  const PyValue* raw = best->items[1]->items[1];  // scalar(dtype, bytes)
  ASSERT_TRUE(raw->is(PyKind::Bytes));
  double v;
  ASSERT_EQ(raw->s.size(), 8u);
  std::memcpy(&v, raw->s.data(), 8);
  EXPECT_EQ(v, 0.25);
}

TEST(PtCheckpoint, HostileFiles) {
  EXPECT_NE(load_error(fixture("hostile_compressed.pt")).find("compressed"), std::string::npos);
  EXPECT_NE(load_error(fixture("hostile_short_storage.pt")).find("storage claims"), std::string::npos);
  EXPECT_NE(load_error(fixture("hostile_shape.pt")).find("more elements than its storage"), std::string::npos);
  const std::string nan = load_error(fixture("hostile_nan.pt"));
  EXPECT_NE(nan.find("'model.0.conv.weight' holds a NaN"), std::string::npos) << nan;
  EXPECT_NE(load_error(fixture("hostile_os_system.pt")).find("is not allowed"), std::string::npos);
  EXPECT_NE(load_error(fixture("mini_expected.txt")).find("end-of-central-directory"), std::string::npos);
}

TEST(PtCheckpoint, EveryTruncationOfMiniIsAnError) {
  const auto bytes = read_bytes(fixture("mini.pt"));
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    bool threw = false;
    try {
      read_pt_checkpoint(ZipReader::from_memory(bytes.data(), cut, "cut.pt"));
    } catch (const yp::Error&) {
      threw = true;
    }
    ASSERT_TRUE(threw) << "cut at " << cut;
  }
}

TEST(PtCheckpoint, YamlRenderingRefusesDeepNesting) {
  std::string p("\x80\x02}X\x01\x00\x00\x00k", 9);
  p += std::string(1000, ']') + std::string(999, 'a') + "s.";
  const PickleTree t = unpickle(reinterpret_cast<const uint8_t*>(p.data()), p.size(), "deep");
  EXPECT_THROW(render_yolo_yaml(t.root()), yp::Error);
}

namespace {
std::string binunicode(const std::string& s) {
  std::string out = "X";
  for (int k = 0; k < 4; ++k) out += (char)((s.size() >> (8 * k)) & 0xFF);
  return out + s;
}
}  // namespace

TEST(PtCheckpoint, SharedTensorsCannotExpandWithoutBound) {
  // One 1000-float storage referenced by 2000 parameters: 8 MB of copies from an 8 KB file.
  std::string p = "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n(";
  p += "(" + binunicode("storage") + "ctorch\nFloatStorage\n" + binunicode("0") + binunicode("cpu") + "M\xe8\x03tQ";
  p += std::string("K\x00M\xe8\x03\x85K\x01\x85\x89", 10) + "ccollections\nOrderedDict\n)RtRq\x01" "0";
  p += "cmodels.yolo\nModel\n)\x81}" + binunicode("_parameters") + "ccollections\nOrderedDict\n)R(";
  for (int k = 0; k < 2000; ++k) p += binunicode("p" + std::to_string(k)) + "h\x01";
  p += "usb.";
  const auto zip = yp::test::make_torch_zip({{"archive/data.pkl", std::vector<uint8_t>(p.begin(), p.end())},
                                             {"archive/data/0", std::vector<uint8_t>(4000, 0)}});
  std::string msg;
  try {
    read_pt_checkpoint(ZipReader::from_memory(zip.data(), zip.size(), "shared.pt"));
  } catch (const yp::Error& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("more than twice the file"), std::string::npos) << msg;
  // Ten references are fine: the walk itself is the same as PyTorch's.
  std::string q = p.substr(0, p.find("(X\x02\x00\x00\x00p0") + 1);
  for (int k = 0; k < 10; ++k) q += binunicode("p" + std::to_string(k)) + "h\x01";
  q += "usb.";
  const auto zip10 = yp::test::make_torch_zip({{"archive/data.pkl", std::vector<uint8_t>(q.begin(), q.end())},
                                               {"archive/data/0", std::vector<uint8_t>(4000, 0)}});
  const PtCheckpoint ck = read_pt_checkpoint(ZipReader::from_memory(zip10.data(), zip10.size(), "ten.pt"));
  ASSERT_EQ(ck.state_dict.size(), 10u);
  EXPECT_EQ(ck.state_dict[9].first, "p9");
  EXPECT_EQ(ck.state_dict[9].second.shape(), yp::Shape({1000}));
}

TEST(PtCheckpoint, YamlRenderingOfSharedSubtreesIsBounded) {
  // L0 = [], L(i+1) = [L(i)] * 50, ten levels: 50^10 nodes if rendered naively.
  std::string p = "\x80\x02}" + binunicode("k") + std::string("]q\x00" "0", 4);  // memoise L0, keep it off the stack
  for (int level = 1; level <= 10; ++level) {
    p += "](";
    for (int k = 0; k < 50; ++k) p += "h" + std::string(1, (char)(level - 1));
    p += "eq" + std::string(1, (char)level);
    if (level < 10) p += "0";
  }
  p += "s.";
  const PickleTree t = unpickle(reinterpret_cast<const uint8_t*>(p.data()), p.size(), "wide");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(render_yolo_yaml(t.root()), yp::Error);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
}

TEST(PtCheckpoint, OfficialYolov5n) {
  YP_REQUIRE_SHARED(path, "weights/yolov5n.pt");
  const auto t0 = std::chrono::steady_clock::now();
  const PtCheckpoint ck = load_pt_checkpoint(path);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("load_pt_checkpoint(yolov5n.pt): %.1f ms\n", ms);
  ASSERT_EQ(ck.state_dict.size(), 349u);
  EXPECT_EQ(ck.model_key, "model");  // official files are stripped: ema is None
  EXPECT_EQ(ck.model_class, "models.yolo.Model");
  EXPECT_EQ(ck.epoch, -1);
  EXPECT_FALSE(ck.date.empty());
  const std::vector<std::pair<size_t, std::string>> spots = {
      {0, "model.0.conv.weight"}, {5, "model.0.bn.num_batches_tracked"}, {12, "model.2.cv1.conv.weight"},
      {30, "model.2.m.0.cv1.conv.weight"}, {198, "model.10.conv.weight"}, {204, "model.13.cv1.conv.weight"},
      {342, "model.24.anchors"}, {343, "model.24.m.0.weight"}, {348, "model.24.m.2.bias"}};
  for (const auto& [k, name] : spots) EXPECT_EQ(ck.state_dict[k].first, name) << k;
  auto shape_of = [&](size_t k) { return ck.state_dict[k].second.shape(); };
  EXPECT_EQ(shape_of(0), yp::Shape({16, 3, 6, 6}));
  EXPECT_EQ(shape_of(5), yp::Shape({}));
  EXPECT_EQ(shape_of(342), yp::Shape({3, 3, 2}));
  EXPECT_EQ(shape_of(343), yp::Shape({255, 64, 1, 1}));
  EXPECT_EQ(shape_of(347), yp::Shape({255, 256, 1, 1}));
  EXPECT_EQ(ck.state_dict[0].second.dtype(), yp::DType::F16);
  EXPECT_EQ(ck.state_dict[5].second.dtype(), yp::DType::F64);
  EXPECT_EQ(ck.state_dict[5].second.item(), 1.0);

  // Parameters as model.parameters() counts them: everything but BN running stats, the batch
  // counter and the anchors buffer.
  int64_t params = 0;
  for (const auto& [name, t] : ck.state_dict) {
    const bool buffer = name.find("running_") != std::string::npos || name.find("num_batches_tracked") != std::string::npos ||
                        name.find("anchors") != std::string::npos;
    if (!buffer) params += t.numel();
  }
  EXPECT_EQ(params, 1872157);

  EXPECT_EQ(ck.nc, 80);
  ASSERT_EQ(ck.names.size(), 80u);
  EXPECT_EQ(ck.names[0], "person");
  EXPECT_EQ(ck.names[79], "toothbrush");
  EXPECT_EQ(ck.strides, std::vector<float>({8.f, 16.f, 32.f}));
  const std::vector<float> anchors = {1.25f, 1.625f, 2.f,     3.75f,   4.125f, 2.875f,  1.875f, 3.8125f,   3.875f,
                                      2.8125f, 3.6875f, 7.4375f, 3.625f, 2.8125f, 4.875f, 6.1875f, 11.65625f, 10.1875f};
  EXPECT_EQ(ck.anchors_grid.to_vector(), anchors);
  EXPECT_EQ(ck.yaml_text.rfind("nc: 80\ndepth_multiple: 0.33\nwidth_multiple: 0.25\nanchors:\n  - [10, 13, 16, 30, 33, 23]\n", 0), 0u)
      << ck.yaml_text;
  EXPECT_NE(ck.yaml_text.find("backbone:\n  - [-1, 1, Conv, [64, 6, 2, 2]]\n"), std::string::npos) << ck.yaml_text;
  EXPECT_NE(ck.yaml_text.find("  - [-1, 3, C3, [512, False]]\n"), std::string::npos);
  EXPECT_NE(ck.yaml_text.find("  - [-1, 1, nn.Upsample, [None, 2, nearest]]\n"), std::string::npos);
  EXPECT_NE(ck.yaml_text.find("  - [[17, 20, 23], 1, Detect, [nc, anchors]]\n"), std::string::npos);
}

TEST(PtCheckpoint, OfficialYolov5nTruncatedOrFlipped) {
  YP_REQUIRE_SHARED(path, "weights/yolov5n.pt");
  auto bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 4000000u);
  for (size_t cut : {size_t(0), size_t(100), size_t(82000), bytes.size() / 2, bytes.size() - 23, bytes.size() - 1}) {
    EXPECT_THROW(read_pt_checkpoint(ZipReader::from_memory(bytes.data(), cut, "cut.pt")), yp::Error) << cut;
  }
  // One flipped bit anywhere in an entry's data is caught by its CRC-32: in data.pkl and in a weight.
  for (size_t at : {size_t(1000), size_t(2000000)}) {
    bytes[at] ^= 0x10;
    std::string msg;
    try {
      read_pt_checkpoint(ZipReader::from_memory(bytes.data(), bytes.size(), "flip.pt"));
    } catch (const yp::Error& e) {
      msg = e.what();
    }
    EXPECT_NE(msg.find("CRC-32"), std::string::npos) << at << ": " << msg;
    bytes[at] ^= 0x10;
  }
}

// The rendered yaml is for yolo/yaml_config.h: it must parse to the same network as the shipped yolov5n.
TEST(PtCheckpoint, RenderedYamlParsesAsTheShippedConfig) {
  YP_REQUIRE_SHARED(path, "weights/yolov5n.pt");
  const PtCheckpoint ck = load_pt_checkpoint(path);
  const yp::yolo::YoloConfig got = yp::yolo::parse_yolo_config(ck.yaml_text, "yolov5n.pt (embedded yaml)");
  const yp::yolo::YoloConfig want = yp::yolo::builtin_yolo_config("yolov5n");
  EXPECT_EQ(got.nc, 80);
  EXPECT_EQ(got.depth_multiple, want.depth_multiple);
  EXPECT_EQ(got.width_multiple, want.width_multiple);
  EXPECT_EQ(got.ch, 3);
  EXPECT_EQ(got.anchors, want.anchors);
  EXPECT_EQ(got.backbone_size, want.backbone_size);
  ASSERT_EQ(got.layers.size(), want.layers.size());
  for (size_t k = 0; k < got.layers.size(); ++k) {
    EXPECT_EQ(got.layers[k].from, want.layers[k].from) << k;
    EXPECT_EQ(got.layers[k].number, want.layers[k].number) << k;
    EXPECT_EQ(got.layers[k].module, want.layers[k].module) << k;
    ASSERT_EQ(got.layers[k].args.size(), want.layers[k].args.size()) << k;
    for (size_t a = 0; a < got.layers[k].args.size(); ++a)
      EXPECT_EQ(got.layers[k].args[a].str(), want.layers[k].args[a].str()) << k << " arg " << a;
  }
}
