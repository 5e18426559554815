// JSON reader/writer and the safetensors model file: round trips in F32 and F16 with metadata,
// and every kind of broken header ending in a clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "tensor/half.h"
#include "tests/yolo/io/fixtures.h"
#include "yolo/io/json.h"
#include "yolo/io/safetensors.h"

using namespace yp::io;
using yp::NamedTensors;
using yp::test::read_bytes;

namespace {

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("yp_io_" + std::to_string(::getpid()) + "_" + name)).string();
}

NamedTensors sample_tensors() {
  std::vector<float> w(2 * 3 * 3 * 3);
  for (size_t k = 0; k < w.size(); ++k) w[k] = std::sin(0.37f * (float)k) * 3.0f;
  return {{"model.0.conv.weight", yp::Tensor::from_vector(w, {2, 3, 3, 3})},
          {"model.0.bn.bias", yp::Tensor::from_vector(std::vector<float>{0.5f, -1.25f}, {2})},
          {"model.0.bn.num_batches_tracked", yp::Tensor::from_vector(std::vector<double>{1.0}, {})},
          {"empty", yp::Tensor::zeros({0, 4})}};
}

// A safetensors file from a header text and a data blob.
std::vector<uint8_t> make_file(const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> out(8 + header.size() + data_bytes, 0);
  const uint64_t n = header.size();
  for (int k = 0; k < 8; ++k) out[k] = (uint8_t)(n >> (8 * k));
  std::memcpy(out.data() + 8, header.data(), header.size());
  return out;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    parse_safetensors(bytes.data(), bytes.size(), "bad.safetensors");
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Json, ParsesAndWritesBack) {
  const std::string text = R"({"a":[1,-2.5e3,true,false,null],"s":"q\"\\\/\n\u00e9\ud83d\ude00","big":9007199254740993})";
  const Json j = parse_json(text.data(), text.size(), "t");
  ASSERT_TRUE(j.is(Json::Kind::Object));
  EXPECT_EQ(j.find("a")->array[1].as_double(), -2500.0);
  EXPECT_EQ(j.find("s")->text, "q\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(j.find("big")->as_int(), 9007199254740993LL);  // exact beyond 2^53
  EXPECT_THROW(j.find("a")->array[1].as_int(), yp::Error);
  const std::string again = write_json(j);
  const Json k = parse_json(again.data(), again.size(), "t2");
  EXPECT_EQ(write_json(k), again);
  EXPECT_EQ(Json::number(0.1).text, "0.1");
  EXPECT_EQ(Json::number(1.0 / 3.0).as_double(), 1.0 / 3.0);
}

TEST(Json, RefusesMalformedText) {
  for (const std::string bad : {"", "{", "[1,]", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "01", "1.", "-", "tru", "[1] x",
                                "\"a\nb\"", "{1:2}", "\"\\x\""}) {
    EXPECT_THROW(parse_json(bad.data(), bad.size(), "t"), yp::Error) << bad;
  }
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_THROW(parse_json(deep.data(), deep.size(), "t"), yp::Error);
}

TEST(Safetensors, RoundTripF32WithMetadata) {
  const std::string path = tmp_path("rt32.safetensors");
  const NamedTensors in = sample_tensors();
  const std::map<std::string, std::string> meta = {{"nc", "2"}, {"names", "[\"particle\",\"ice\"]"}, {"yaml", "nc: 2\n"}};
  save_safetensors(path, in, meta, yp::DType::F32);
  const SafetensorsFile f = load_safetensors(path);
  EXPECT_EQ(f.metadata, meta);
  ASSERT_EQ(f.tensors.size(), in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    EXPECT_EQ(f.tensors[k].first, in[k].first);  // saved order is kept
    EXPECT_EQ(f.tensors[k].second.shape(), in[k].second.shape());
    EXPECT_EQ(f.tensors[k].second.dtype(), yp::DType::F32);
    EXPECT_EQ(f.tensors[k].second.to_vector(), in[k].second.to_vector()) << in[k].first;
  }
  // The data area starts 8-byte aligned.
  const auto bytes = read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  std::filesystem::remove(path);
}

TEST(Safetensors, RoundTripF16) {
  const std::string path = tmp_path("rt16.safetensors");
  const NamedTensors in = sample_tensors();
  save_safetensors(path, in, {}, yp::DType::F16);
  const SafetensorsFile f = load_safetensors(path);
  EXPECT_TRUE(f.metadata.empty());
  ASSERT_EQ(f.tensors.size(), in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    ASSERT_EQ(f.tensors[k].second.dtype(), yp::DType::F16);
    const auto a = in[k].second.to_vector(), b = f.tensors[k].second.to_vector();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(b[i], yp::half_to_float(yp::float_to_half(a[i])));
  }
  std::filesystem::remove(path);
  EXPECT_THROW(save_safetensors(path, {{"big", yp::Tensor::full({1}, 70000.0)}}, {}, yp::DType::F16), yp::Error);
  EXPECT_FALSE(std::filesystem::exists(path));  // nothing half-written is left behind
}

TEST(Safetensors, BrokenHeaders) {
  const std::string t = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  EXPECT_EQ(parse_error(make_file("{" + t + "}", 8)), "no error");
  EXPECT_NE(parse_error(make_file("{" + t + "}", 4)).find("lie outside"), std::string::npos);
  EXPECT_NE(parse_error(make_file("{" + t + "}", 12)).find("cover 8 of 12"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)).find("needs 12 bytes"),
            std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"I8","shape":[8],"data_offsets":[0,8]}})", 8)).find("dtype 'I8'"),
            std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                  R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8))
                .find("overlap or hole"),
            std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)).find("negative"),
            std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8))
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"__metadata__":{"nc":2}})", 0)).find("not a string"), std::string::npos);
  EXPECT_NE(parse_error(make_file("{" + t + "," + t + "}", 8)).find("duplicate key"), std::string::npos);
  EXPECT_NE(parse_error(make_file("[]", 0)).find("not a JSON object"), std::string::npos);
  // Header length beyond the file, beyond the limit, and files too short to hold one.
  auto lying = make_file("{" + t + "}", 8);
  lying[5] = 0x7F;
  EXPECT_NE(parse_error(lying).find("exceeds"), std::string::npos);
  lying[5] = 0;
  lying[2] = 0x10;
  EXPECT_NE(parse_error(lying).find("runs past"), std::string::npos);
  EXPECT_NE(parse_error(std::vector<uint8_t>(5, 0)).find("too small"), std::string::npos);
  // A NaN weight.
  auto nan = make_file("{" + t + "}", 8);
  const float q = std::nanf("");
  std::memcpy(&nan[nan.size() - 4], &q, 4);
  EXPECT_NE(parse_error(nan).find("NaN"), std::string::npos);
}

TEST(Safetensors, EveryTruncationIsAnError) {
  const std::string path = tmp_path("cut.safetensors");
  save_safetensors(path, sample_tensors(), {{"nc", "2"}}, yp::DType::F32);
  const auto bytes = read_bytes(path);
  std::filesystem::remove(path);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<uint8_t> b(bytes.begin(), bytes.begin() + (ptrdiff_t)cut);
    ASSERT_NE(parse_error(b), "no error") << cut;
  }
}
