// model_file.cpp: save_model / load_model (model_file.h).
#include "yolo/model_file.h"

#include <cstring>
#include <fstream>

#include "yolo/io/model_file.h"
#include "yolo/io/pt_checkpoint.h"

namespace yp::yolo {
namespace {

std::vector<std::string> default_names(int nc) {
  std::vector<std::string> names;
  for (int i = 0; i < nc; ++i) names.push_back(std::to_string(i));
  return names;
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

std::unique_ptr<Model> build(const std::string& yaml, int nc, int input_channels, const std::string& label) {
  ModelOptions o;
  o.nc = nc;
  o.input_channels = input_channels;
  o.random_init = false;
  return std::make_unique<Model>(parse_yolo_config(yaml, label), o);
}

LoadedModel load_pt(const std::string& path, int input_channels) {
  const io::PtCheckpoint ck = io::load_pt_checkpoint(path);
  if (ck.yaml_text.empty()) throw Error(path + ": the checkpoint embeds no model yaml; cannot rebuild the network");
  LoadedModel out;
  out.format = "pt";
  out.model = build(ck.yaml_text, ck.nc, input_channels, path + " (embedded yaml)");
  out.info.names = ck.names;
  return finish(std::move(out), ck.state_dict, path);
}

}  // namespace

// The metadata codec (keys, JSON forms, validation) is io/model_file's; this layer maps it to a Model.
void save_model(const std::string& path, Model& model, const ModelFileInfo& info, DType store) {
  io::ModelFileInfo m;
  m.nc = model.nc();
  m.names = info.names.empty() ? default_names(model.nc()) : info.names;
  YP_CHECK((int)m.names.size() == model.nc(), "save_model: " + std::to_string(m.names.size()) +
                                                  " class names for nc = " + std::to_string(model.nc()));
  m.strides = model.strides();
  const std::vector<Tensor> anchors = model.anchors();  // grid units
  for (size_t l = 0; l < anchors.size(); ++l) {
    std::vector<float> px;
    for (float a : anchors[l].to_vector()) px.push_back(a * m.strides[l]);
    m.anchors_pixels.push_back(px);
  }
  m.yaml = model.config().text;
  m.input_size = info.input_size;
  m.channels = model.input_channels();
  m.preprocessing = info.preprocessing;
  io::save_model_file(path, model_state(model), m, store);
}

bool is_pt_checkpoint(const std::string& path) {
  char magic[4] = {};
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open");
  f.read(magic, 4);
  return f.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

LoadedModel load_model(const std::string& path, int input_channels) {
  if (is_pt_checkpoint(path)) return load_pt(path, input_channels);

  const io::ModelFile file = io::load_model_file(path);
  LoadedModel out;
  out.format = "safetensors";
  out.metadata = io::model_info_to_metadata(file.info);
  out.model = build(file.info.yaml, file.info.nc, input_channels > 0 ? input_channels : file.info.channels,
                    path + " (yaml metadata)");
  out.info.names = file.info.names;
  out.info.input_size = file.info.input_size;
  out.info.preprocessing = file.info.preprocessing;
  return finish(std::move(out), file.tensors, path);
}

}  // namespace yp::yolo
