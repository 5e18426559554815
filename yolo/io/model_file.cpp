// model_file.cpp: ModelFileInfo <-> safetensors __metadata__ strings, with validation (model_file.h).
#include "yolo/io/model_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "yolo/io/json.h"

namespace yp::io {

namespace {

// The shortest decimal that reads back to the same float (0.1f prints as 0.1, not 0.100000001);
// whole numbers as integers (10, not %g's 1e+01).
Json float_number(float x) {
  if (!std::isfinite(x)) throw Error("model metadata cannot hold a non-finite number");
  if (x == std::floor(x) && std::fabs(x) < 1e9f) return Json::integer((int64_t)x);
  char buf[32];
  for (int prec = 1; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, (double)x);
    if (std::strtof(buf, nullptr) == x) break;
  }
  Json j;
  j.kind = Json::Kind::Number;
  j.text = buf;
  return j;
}

Json float_array(const std::vector<float>& v) {
  std::vector<Json> items;
  for (float x : v) items.push_back(float_number(x));
  return Json::array_of(std::move(items));
}

const std::string& field(const std::map<std::string, std::string>& meta, const char* key, const std::string& label) {
  const auto it = meta.find(key);
  if (it == meta.end()) throw Error(label + ": model metadata lacks '" + key + "'");
  return it->second;
}

int small_int(const std::string& text, const char* key, const std::string& label, int lo, int hi) {
  const Json j = parse_json(text.data(), text.size(), label + " metadata '" + key + "'");
  const int64_t v = j.as_int();
  if (v < lo || v > hi)
    throw Error(label + ": metadata '" + key + "' = " + text + " is outside [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return (int)v;
}

std::vector<float> floats(const Json& j, const std::string& what, const std::string& label) {
  if (!j.is(Json::Kind::Array)) throw Error(label + ": " + what + " is not a list of numbers");
  std::vector<float> out;
  for (const Json& x : j.array) {
    if (!x.is(Json::Kind::Number)) throw Error(label + ": " + what + " holds a non-number");
    const double v = x.as_double();
    if (!std::isfinite(v) || v <= 0) throw Error(label + ": " + what + " holds " + x.text + " (must be > 0)");
    out.push_back((float)v);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> model_info_to_metadata(const ModelFileInfo& info) {
  std::vector<Json> names, anchors;
  for (const std::string& n : info.names) names.push_back(Json::string(n));
  for (const auto& level : info.anchors_pixels) anchors.push_back(float_array(level));
  return {{"format", kModelFileFormat},
          {"format_version", kModelFileFormatVersion},
          {"nc", std::to_string(info.nc)},
          {"names", write_json(Json::array_of(std::move(names)))},
          {"anchors", write_json(Json::array_of(std::move(anchors)))},
          {"strides", write_json(float_array(info.strides))},
          {"yaml", info.yaml},
          {"input_size", std::to_string(info.input_size)},
          {"input_channels", std::to_string(info.channels)},
          {"preprocessing", info.preprocessing}};
}

ModelFileInfo model_info_from_metadata(const std::map<std::string, std::string>& meta, const std::string& label) {
  ModelFileInfo info;
  const std::string& format = field(meta, "format", label);
  if (format != kModelFileFormat)
    throw Error(label + ": not a yolopick model file (format '" + format + "')");
  const std::string& version = field(meta, "format_version", label);
  if (version != kModelFileFormatVersion)
    throw Error(label + ": model file version " + version + " is not supported (this build reads " +
                kModelFileFormatVersion + ")");
  info.nc = small_int(field(meta, "nc", label), "nc", label, 1, 100000);
  info.input_size = small_int(field(meta, "input_size", label), "input_size", label, 32, 65536);
  info.channels = small_int(field(meta, "input_channels", label), "input_channels", label, 1, 64);
  const std::string& names_text = field(meta, "names", label);
  const Json names = parse_json(names_text.data(), names_text.size(), label + " metadata 'names'");
  if (!names.is(Json::Kind::Array)) throw Error(label + ": metadata 'names' is not a list");
  for (const Json& n : names.array) {
    if (!n.is(Json::Kind::String)) throw Error(label + ": metadata 'names' holds a non-string");
    info.names.push_back(n.text);
  }
  if ((int)info.names.size() != info.nc)
    throw Error(label + ": nc = " + std::to_string(info.nc) + " but " + std::to_string(info.names.size()) + " names");
  const std::string& strides_text = field(meta, "strides", label);
  info.strides = floats(parse_json(strides_text.data(), strides_text.size(), label + " metadata 'strides'"),
                        "metadata 'strides'", label);
  const std::string& anchors_text = field(meta, "anchors", label);
  const Json anchors = parse_json(anchors_text.data(), anchors_text.size(), label + " metadata 'anchors'");
  if (!anchors.is(Json::Kind::Array)) throw Error(label + ": metadata 'anchors' is not a list of levels");
  for (const Json& level : anchors.array) {
    info.anchors_pixels.push_back(floats(level, "metadata 'anchors'", label));
    if (info.anchors_pixels.back().empty() || info.anchors_pixels.back().size() % 2)
      throw Error(label + ": an anchor level does not hold w,h pairs");
  }
  if (info.anchors_pixels.size() != info.strides.size())
    throw Error(label + ": " + std::to_string(info.anchors_pixels.size()) + " anchor levels but " +
                std::to_string(info.strides.size()) + " strides");
  info.yaml = field(meta, "yaml", label);
  if (const auto it = meta.find("preprocessing"); it != meta.end()) info.preprocessing = it->second;
  return info;
}

void save_model_file(const std::string& path, const NamedTensors& tensors, const ModelFileInfo& info, DType store) {
  // Round-trip the metadata through the validator first: a file we write is a file we can read.
  const auto meta = model_info_to_metadata(info);
  model_info_from_metadata(meta, path);
  save_safetensors(path, tensors, meta, store);
}

ModelFile load_model_file(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  ModelFile m;
  m.info = model_info_from_metadata(f.metadata, path);
  m.tensors = std::move(f.tensors);
  return m;
}

ModelFileInfo model_info_from_checkpoint(const PtCheckpoint& ck, int input_size) {
  ModelFileInfo info;
  info.nc = ck.nc;
  info.names = ck.names;
  if (info.names.empty())
    for (int k = 0; k < ck.nc; ++k) info.names.push_back("class" + std::to_string(k));
  info.strides = ck.strides;
  info.yaml = ck.yaml_text;
  info.input_size = input_size;
  if (ck.anchors_grid.defined()) {
    const std::vector<float> a = ck.anchors_grid.to_vector();
    const int64_t nl = ck.anchors_grid.size(0), per_level = ck.anchors_grid.numel() / nl;
    if ((size_t)nl != ck.strides.size()) throw Error("checkpoint anchors and strides disagree in level count");
    for (int64_t l = 0; l < nl; ++l) {
      std::vector<float> level;
      for (int64_t k = 0; k < per_level; ++k) level.push_back(a[(size_t)(l * per_level + k)] * ck.strides[(size_t)l]);
      info.anchors_pixels.push_back(std::move(level));
    }
  }
  return info;
}

}  // namespace yp::io
