// model_file.cpp: the metadata codec, reading and writing model files, and building the network (model_file.h).
#include "yolo/model_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "imgproc/chain.h"
#include "util/text.h"
#include "yolo/io/json.h"

namespace yp::yolo {

namespace {

using io::Json;

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

// The shortest decimal that reads back to the same double (3.54, not 3.5400000000000000355).
std::string double_text(double x) {
  if (!std::isfinite(x)) throw Error("model metadata cannot hold a non-finite number");
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

// An optional positive number (a key older files lack: 0); `hi` bounds what is plausible.
double optional_positive(const std::map<std::string, std::string>& meta, const char* key, const std::string& label,
                         double hi) {
  const auto it = meta.find(key);
  if (it == meta.end()) return 0;
  const Json j = io::parse_json(it->second.data(), it->second.size(), label + " metadata '" + key + "'");
  const double v = j.is(Json::Kind::Number) ? j.as_double() : -1;
  if (!(v > 0 && v <= hi))
    throw Error(label + ": metadata '" + key + "' = " + it->second + " is not a number in (0, " + double_text(hi) + "]");
  return v;
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

Json parse_field(const std::map<std::string, std::string>& meta, const char* key, const std::string& label) {
  const std::string& text = field(meta, key, label);
  return io::parse_json(text.data(), text.size(), label + " metadata '" + key + "'");
}

int small_int(const std::map<std::string, std::string>& meta, const char* key, const std::string& label, int lo, int hi) {
  const int64_t v = parse_field(meta, key, label).as_int();
  if (v < lo || v > hi)
    throw Error(label + ": metadata '" + key + "' = " + field(meta, key, label) + " is outside [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
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

// The calibrated thresholds (a key older files lack: none): exactly nc numbers, each in [0, 1].
std::vector<float> conf_thresholds(const std::map<std::string, std::string>& meta, int nc, const std::string& label) {
  const auto it = meta.find("conf_thresholds");
  if (it == meta.end()) return {};
  const std::string what = label + ": metadata 'conf_thresholds' = " + it->second;
  const Json j = io::parse_json(it->second.data(), it->second.size(), label + " metadata 'conf_thresholds'");
  if (!j.is(Json::Kind::Array)) throw Error(what + " is not a list of numbers");
  if ((int)j.array.size() != nc)
    throw Error(what + " holds " + std::to_string(j.array.size()) + " thresholds for nc = " + std::to_string(nc));
  std::vector<float> out;
  for (const Json& x : j.array) {
    const double v = x.is(Json::Kind::Number) ? x.as_double() : -1;
    if (!(v >= 0 && v <= 1)) throw Error(what + " holds " + x.text + " (each must lie in [0, 1])");
    out.push_back((float)v);
  }
  return out;
}

// A .pt checkpoint's record: anchors back to pixels (grid units x stride); the input is YOLOv5's default.
ModelFileInfo model_info_from_checkpoint(const io::PtCheckpoint& ck, const std::string& path) {
  if (ck.yaml_text.empty()) throw Error(path + ": the checkpoint embeds no model yaml; cannot rebuild the network");
  ModelFileInfo info;
  info.nc = ck.nc;
  info.names = ck.names.empty() ? default_class_names(ck.nc) : ck.names;
  if ((int)info.names.size() != ck.nc)
    throw Error(path + ": " + std::to_string(info.names.size()) + " class names for nc = " + std::to_string(ck.nc));
  info.strides = ck.strides;
  info.yaml = ck.yaml_text;
  info.input.channels = parse_yolo_config(ck.yaml_text, path + " (embedded yaml)").ch;
  if (ck.anchors_grid.defined()) {
    const std::vector<float> a = ck.anchors_grid.to_vector();
    const int64_t nl = ck.anchors_grid.size(0), per_level = ck.anchors_grid.numel() / nl;
    if ((size_t)nl != ck.strides.size()) throw Error(path + ": checkpoint anchors and strides disagree in level count");
    for (int64_t l = 0; l < nl; ++l) {
      std::vector<float> level;
      for (int64_t k = 0; k < per_level; ++k) level.push_back(a[(size_t)(l * per_level + k)] * ck.strides[(size_t)l]);
      info.anchors_pixels.push_back(std::move(level));
    }
  }
  return info;
}

}  // namespace

std::vector<std::string> default_class_names(int nc) {
  std::vector<std::string> names;
  for (int i = 0; i < nc; ++i) names.push_back("class" + std::to_string(i));
  return names;
}

std::map<std::string, std::string> model_info_to_metadata(const ModelFileInfo& info) {
  std::vector<Json> names, anchors;
  for (const std::string& n : info.names) names.push_back(Json::string(n));
  for (const auto& level : info.anchors_pixels) anchors.push_back(float_array(level));
  std::map<std::string, std::string> meta = {{"format", kModelFileFormat},
          {"format_version", kModelFileFormatVersion},
          {"nc", std::to_string(info.nc)},
          {"names", io::write_json(Json::array_of(std::move(names)))},
          {"anchors", io::write_json(Json::array_of(std::move(anchors)))},
          {"strides", io::write_json(float_array(info.strides))},
          {"yaml", info.yaml},
          {"input_rule", input_rule_name(info.input.rule)},
          {"input_size", std::to_string(info.input.size)},
          {"input_channels", std::to_string(info.input.channels)},
          {"preprocessing", info.input.chain}};
  // The scale only when recorded: files of models without one stay as they were.
  if (info.input.pixel_size > 0) meta["input_pixel_size"] = double_text(info.input.pixel_size);
  if (info.input.particle_diameter > 0) meta["particle_diameter"] = double_text(info.input.particle_diameter);
  if (!info.conf_thresholds.empty()) {
    std::vector<Json> t;
    for (float x : info.conf_thresholds) t.push_back(float_number(x));
    meta["conf_thresholds"] = io::write_json(Json::array_of(std::move(t)));
    meta["conf_calibration"] = info.conf_calibration;
  }
  return meta;
}

ModelFileInfo model_info_from_metadata(const std::map<std::string, std::string>& meta, const std::string& label) {
  ModelFileInfo info;
  const std::string& format = field(meta, "format", label);
  if (format != kModelFileFormat) throw Error(label + ": not a yolopick model file (format '" + format + "')");
  const std::string& version = field(meta, "format_version", label);
  if (version != kModelFileFormatVersion)
    throw Error(label + ": model file version " + version + " is not supported (this build reads " +
                kModelFileFormatVersion + ")");
  info.nc = small_int(meta, "nc", label, 1, 100000);
  info.input.size = small_int(meta, "input_size", label, 32, 65536);
  info.input.channels = small_int(meta, "input_channels", label, 1, 64);
  const Json names = parse_field(meta, "names", label);
  if (!names.is(Json::Kind::Array)) throw Error(label + ": metadata 'names' is not a list");
  for (const Json& n : names.array) {
    if (!n.is(Json::Kind::String)) throw Error(label + ": metadata 'names' holds a non-string");
    info.names.push_back(n.text);
  }
  if ((int)info.names.size() != info.nc)
    throw Error(label + ": nc = " + std::to_string(info.nc) + " but " + std::to_string(info.names.size()) + " names");
  info.strides = floats(parse_field(meta, "strides", label), "metadata 'strides'", label);
  const Json anchors = parse_field(meta, "anchors", label);
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
  if (const auto it = meta.find("preprocessing"); it != meta.end()) info.input.chain = it->second;
  if (!info.input.chain.empty()) {  // refused here, at load, not once per micrograph when the chain runs
    try {
      imgproc::chain_config_from_text(info.input.chain);
    } catch (const std::exception& e) {
      throw Error(label + ": the stored pre-processing is invalid: " + e.what());
    }
  }
  if (const auto it = meta.find("input_rule"); it != meta.end())
    info.input.rule = parse_input_rule(it->second, label);
  else  // written before the rule was recorded (model_file.h)
    info.input.rule = !info.input.chain.empty() || info.input.channels == 1 ? InputRule::Letterbox : InputRule::Yolov5;
  if (info.input.rule == InputRule::Yolov5 && !info.input.chain.empty())
    throw Error(label + ": input rule yolov5 with a pre-processing chain (only rule letterbox runs a chain)");
  info.input.pixel_size = optional_positive(meta, "input_pixel_size", label, 1000);
  info.input.particle_diameter = optional_positive(meta, "particle_diameter", label, 1e5);
  if (info.input.pixel_size > 0 && info.input.rule != InputRule::Letterbox)
    throw Error(label + ": a physical scale (input_pixel_size) needs input rule letterbox");
  if (info.input.particle_diameter > 0 && !(info.input.pixel_size > 0))
    throw Error(label + ": a particle_diameter without the input_pixel_size it is measured against");
  info.conf_thresholds = conf_thresholds(meta, info.nc, label);
  if (const auto it = meta.find("conf_calibration"); it != meta.end() && !info.conf_thresholds.empty())
    info.conf_calibration = it->second;
  return info;
}

bool is_pt_checkpoint(const std::string& path) {
  char magic[4] = {};
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open");
  f.read(magic, 4);
  if (f.gcount() != 4) return false;
  // torch.save before 1.6 wrote a bare pickle that starts with protocol 2 and a LONG1 magic number
  // (80 02 8a 0a): never a safetensors header length (that would exceed 100 MiB), so name it.
  if (std::memcmp(magic, "\x80\x02\x8a\x0a", 4) == 0)
    throw Error(path + ": a legacy PyTorch checkpoint (torch.save before 1.6, not a zip archive); load it in PyTorch "
                "and save it again with torch >= 1.6, then use that file");
  return std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

// Files users pass as a model by mistake (picks, micrographs, a data set description), recognised by their
// extension before any parsing: the safetensors reader would otherwise read their first bytes as a header length.
static void refuse_non_model(const std::string& path) {
  static const char* kNotModels[] = {".star", ".cbox", ".box", ".csv", ".txt", ".mrc", ".mrcs", ".tif", ".tiff",
                                     ".png", ".jpg", ".jpeg", ".yaml", ".yml", ".json"};
  const std::string ext = lower_extension(path);
  for (const char* e : kNotModels)
    if (ext == e)
      throw Error(path + ": a " + ext.substr(1) + " file is not a model; give a yolopick model (.safetensors, from "
                  "train or import) or a YOLOv5 checkpoint (.pt)");
}

ModelFileContents read_model_file(const std::string& path) {
  refuse_non_model(path);
  ModelFileContents c;
  if (is_pt_checkpoint(path)) {
    io::PtCheckpoint ck = io::load_pt_checkpoint(path);
    c.format = "pt";
    c.info = model_info_from_checkpoint(ck, path);
    c.tensors = std::move(ck.state_dict);
    return c;
  }
  io::SafetensorsFile f = io::load_safetensors(path);  // verifies the data checksum when the file has one
  if (!f.checksum_verified)
    std::fprintf(stderr, "note: %s carries no checksum of its tensor data (written before checksums, or by "
                 "another tool): its weights are not verified\n", path.c_str());
  c.format = "safetensors";
  c.checksum_verified = f.checksum_verified;
  c.info = model_info_from_metadata(f.metadata, path);
  c.metadata = std::move(f.metadata);
  c.tensors = std::move(f.tensors);
  return c;
}

void write_model_file(const std::string& path, const NamedTensors& tensors, const ModelFileInfo& info,
                      DType store) {
  const auto meta = model_info_to_metadata(info);
  model_info_from_metadata(meta, path);
  io::save_safetensors(path, tensors, meta, store, /*with_checksum=*/true);
}

void save_model(const std::string& path, Model& model, ModelFileInfo info, DType store) {
  info.nc = model.nc();
  if (info.names.empty()) info.names = default_class_names(model.nc());
  YP_CHECK((int)info.names.size() == model.nc(), "save_model: " + std::to_string(info.names.size()) +
                                                     " class names for nc = " + std::to_string(model.nc()));
  info.strides = model.strides();
  info.anchors_pixels.clear();
  const std::vector<Tensor> anchors = model.anchors();  // grid units
  for (size_t l = 0; l < anchors.size(); ++l) {
    std::vector<float> px;
    for (float a : anchors[l].to_vector()) px.push_back(a * info.strides[l]);
    info.anchors_pixels.push_back(px);
  }
  info.yaml = model.config().text;
  info.input.channels = model.input_channels();
  write_model_file(path, model_state(model), info, store);
}

namespace {
std::unique_ptr<Model> build_network(const ModelFileInfo& info, const ModelOptions& options, const std::string& path) {
  return std::make_unique<Model>(parse_yolo_config(info.yaml, path + " (embedded yaml)"), options);
}
}  // namespace

LoadedModel load_model(const std::string& path, int input_channels) {
  ModelFileContents file = read_model_file(path);
  LoadedModel out;
  out.format = file.format;
  out.metadata = std::move(file.metadata);
  ModelOptions o;
  o.nc = file.info.nc;
  o.input_channels = input_channels > 0 ? input_channels : file.info.input.channels;
  o.random_init = false;
  out.model = build_network(file.info, o, path);
  out.report = load_state_dict(*out.model, file.tensors);
  // A gray model made from an RGB file has one expected difference, the folded stem.
  if (!out.report.complete()) throw Error(path + ": weights do not fit the architecture: " + out.report.summary());
  out.info = std::move(file.info);
  out.info.input.channels = out.model->input_channels();
  out.model->eval();
  return out;
}

TransferredModel transfer_model(const std::string& path, const ModelOptions& options) {
  const ModelFileContents file = read_model_file(path);
  ModelOptions o = options;
  if (o.nc == 0) o.nc = file.info.nc;
  TransferredModel t;
  t.model = build_network(file.info, o, path);
  const LoadReport r = load_state_dict(*t.model, file.tensors);
  const std::string head = "model." + std::to_string(t.model->num_layers() - 1) + ".m.";
  const bool new_classes = t.model->nc() != file.info.nc;
  for (const std::string& m : r.mismatched)
    if (!new_classes || m.rfind(head, 0) != 0)
      throw Error(path + ": weights do not fit the architecture rebuilt from its yaml (" + m + ")");
  if (!r.missing.empty() || !r.unexpected.empty())
    throw Error(path + ": weights do not fit the architecture rebuilt from its yaml:\n" + r.summary());
  t.report = path + ": " + std::to_string(r.loaded) + " tensors loaded";
  if (r.stem_folded) t.report += ", RGB stem folded into one gray channel";
  if (new_classes)
    t.report += ", transferred from " + std::to_string(file.info.nc) + " to " + std::to_string(t.model->nc()) +
                " classes (" + std::to_string(r.mismatched.size()) + " Detect outputs initialised with the bias priors)";
  t.source = file.info;
  return t;
}

}  // namespace yp::yolo
