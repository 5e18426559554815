// model_file.cpp: save_model / load_model (model_file.h).
#include "yolo/model_file.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include "yolo/io/json.h"
#include "yolo/io/pt_checkpoint.h"
#include "yolo/io/safetensors.h"

namespace yp::yolo {
namespace {

constexpr const char* kFormat = "yolopick-model";
constexpr const char* kFormatVersion = "1";

// Whole numbers as integers ("10", not "1e+01"), others as the shortest exact float.
io::Json json_number(double x) {
  return x == std::floor(x) && std::abs(x) < 1e15 ? io::Json::integer((int64_t)x) : io::Json::number(x);
}

std::string json_floats(const std::vector<float>& v) {
  std::vector<io::Json> items;
  for (float x : v) items.push_back(json_number(x));
  return io::write_json(io::Json::array_of(items));
}

std::vector<std::string> default_names(int nc) {
  std::vector<std::string> names;
  for (int i = 0; i < nc; ++i) names.push_back(std::to_string(i));
  return names;
}

const std::string& required(const std::map<std::string, std::string>& md, const std::string& key,
                            const std::string& path) {
  auto it = md.find(key);
  if (it == md.end()) throw Error(path + ": model file metadata lacks '" + key + "'");
  return it->second;
}

int parse_int(const std::string& s, const std::string& what, const std::string& path, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v < lo || v > hi)
    throw Error(path + ": metadata " + what + " = '" + s + "' is not an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "]");
  return (int)v;
}

LoadedModel finish(LoadedModel out, const io::NamedTensors& state, const std::string& path) {
  out.report = load_state_dict(*out.model, state);
  // A gray model made from an RGB file has one expected difference, the folded stem.
  if (!out.report.complete())
    throw Error(path + ": weights do not fit the architecture: " + out.report.summary());
  if (out.info.names.empty()) out.info.names = default_names(out.model->nc());
  if ((int)out.info.names.size() != out.model->nc())
    throw Error(path + ": " + std::to_string(out.info.names.size()) + " class names for nc = " +
                std::to_string(out.model->nc()));
  out.model->eval();
  return out;
}

LoadedModel load_pt(const std::string& path, int input_channels) {
  const io::PtCheckpoint ck = io::load_pt_checkpoint(path);
  if (ck.yaml_text.empty()) throw Error(path + ": the checkpoint embeds no model yaml; cannot rebuild the network");
  LoadedModel out;
  out.format = "pt";
  ModelOptions o;
  o.nc = ck.nc;
  o.input_channels = input_channels;
  o.random_init = false;
  out.model = std::make_unique<Model>(parse_yolo_config(ck.yaml_text, path + " (embedded yaml)"), o);
  out.info.names = ck.names;
  return finish(std::move(out), ck.state_dict, path);
}

}  // namespace

void save_model(const std::string& path, Model& model, const ModelFileInfo& info, DType store) {
  const std::vector<std::string> names = info.names.empty() ? default_names(model.nc()) : info.names;
  YP_CHECK((int)names.size() == model.nc(), "save_model: " + std::to_string(names.size()) + " class names for nc = " +
                                                std::to_string(model.nc()));
  std::map<std::string, std::string> md;
  md["format"] = kFormat;
  md["format_version"] = kFormatVersion;
  md["yaml"] = model.config().text;
  md["nc"] = std::to_string(model.nc());
  std::vector<io::Json> name_items;
  for (const auto& n : names) name_items.push_back(io::Json::string(n));
  md["names"] = io::write_json(io::Json::array_of(name_items));
  md["input_channels"] = std::to_string(model.input_channels());
  md["input_size"] = std::to_string(info.input_size);
  md["strides"] = json_floats(model.strides());
  std::vector<io::Json> levels;
  const std::vector<Tensor> anchors = model.anchors();
  for (size_t l = 0; l < anchors.size(); ++l) {
    std::vector<io::Json> px;
    for (float a : anchors[l].to_vector()) px.push_back(json_number((double)a * model.strides()[l]));
    levels.push_back(io::Json::array_of(px));
  }
  md["anchors"] = io::write_json(io::Json::array_of(levels));
  md["preprocessing"] = info.preprocessing;
  io::save_safetensors(path, model_state(model), md, store);
}

LoadedModel load_model(const std::string& path, int input_channels) {
  char magic[4] = {};
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open");
    f.read(magic, 4);
  }
  if (std::memcmp(magic, "PK\x03\x04", 4) == 0) return load_pt(path, input_channels);

  io::SafetensorsFile file = io::load_safetensors(path);
  LoadedModel out;
  out.format = "safetensors";
  out.metadata = file.metadata;
  const auto& md = out.metadata;
  if (required(md, "format", path) != kFormat)
    throw Error(path + ": not a yolopick model file (format '" + md.at("format") + "')");
  if (required(md, "format_version", path) != kFormatVersion)
    throw Error(path + ": model file version " + md.at("format_version") + " is not supported (this build reads " +
                kFormatVersion + ")");
  ModelOptions o;
  o.nc = parse_int(required(md, "nc", path), "nc", path, 1, 100000);
  const int stored_channels = parse_int(required(md, "input_channels", path), "input_channels", path, 1, 64);
  o.input_channels = input_channels > 0 ? input_channels : stored_channels;
  o.random_init = false;
  out.model = std::make_unique<Model>(parse_yolo_config(required(md, "yaml", path), path + " (yaml metadata)"), o);
  out.info.input_size = parse_int(required(md, "input_size", path), "input_size", path, 32, 65536);
  if (auto it = md.find("preprocessing"); it != md.end()) out.info.preprocessing = it->second;
  const std::string& names_text = required(md, "names", path);
  const io::Json names = io::parse_json(names_text.data(), names_text.size(), path + " (names metadata)");
  if (!names.is(io::Json::Kind::Array)) throw Error(path + ": metadata names is not a JSON array");
  for (const io::Json& n : names.array) {
    if (!n.is(io::Json::Kind::String)) throw Error(path + ": metadata names holds a non-string");
    out.info.names.push_back(n.text);
  }
  return finish(std::move(out), file.tensors, path);
}

}  // namespace yp::yolo
