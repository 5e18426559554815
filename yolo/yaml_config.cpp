// yaml_config.cpp: the YAML-subset reader and the YOLOv5 config on top of it (yaml_config.h).
#include "yolo/yaml_config.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tensor/tensor.h"
#include "util/text.h"

namespace yp::yolo {

std::string yaml_strip_comment(const std::string& s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || std::isspace((unsigned char)s[i - 1]))) {
      return s.substr(0, i);
    }
  }
  return s;
}

namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;  // configs are ~2 KB
constexpr int kMaxDepth = 16;
constexpr int kMaxLayers = 1000;

YamlValue scalar(const std::string& raw, const std::string& label, int line) {
  YamlValue v;
  const std::string s = trim(raw);
  if (s.empty() || s == "None" || s == "null" || s == "Null" || s == "NULL" || s == "~") return v;
  if (s == "True" || s == "true") {
    v.kind = YamlValue::Kind::Bool;
    v.b = true;
    return v;
  }
  if (s == "False" || s == "false") {
    v.kind = YamlValue::Kind::Bool;
    return v;
  }
  if (s.size() >= 2 && (s[0] == '\'' || s[0] == '"')) {
    if (s.back() != s[0]) fail_at(label, line, "unterminated string " + s);
    v.kind = YamlValue::Kind::String;
    v.text = s.substr(1, s.size() - 2);
    return v;
  }
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size() && !std::isnan(d) && (std::isdigit((unsigned char)s[0]) || s[0] == '-' ||
                                                        s[0] == '+' || s[0] == '.')) {
    v.kind = YamlValue::Kind::Number;
    v.number = d;
    v.text = s;
    v.is_integer = s.find_first_of(".eEiI") == std::string::npos;
    return v;
  }
  for (const char c : s)
    if (c == '[' || c == ']' || c == '{' || c == '}' || c == ',' || c == ':')
      fail_at(label, line, "unexpected '" + std::string(1, c) + "' in value " + s);
  v.kind = YamlValue::Kind::String;
  v.text = s;
  return v;
}

// A flow value starting at s[pos]: a [list] or a scalar ending at ',' or ']'.
YamlValue flow(const std::string& s, size_t& pos, int depth, const std::string& label, int line) {
  if (depth > kMaxDepth) fail_at(label, line, "lists nested deeper than " + std::to_string(kMaxDepth));
  while (pos < s.size() && std::isspace((unsigned char)s[pos])) ++pos;
  if (pos < s.size() && s[pos] == '{') fail_at(label, line, "flow mappings {...} are not supported in a model config");
  if (pos < s.size() && s[pos] == '[') {
    YamlValue list;
    list.kind = YamlValue::Kind::List;
    ++pos;
    while (true) {
      while (pos < s.size() && std::isspace((unsigned char)s[pos])) ++pos;
      if (pos >= s.size()) fail_at(label, line, "unclosed '['");
      if (s[pos] == ']') {
        ++pos;
        return list;
      }
      list.items.push_back(flow(s, pos, depth + 1, label, line));
      while (pos < s.size() && std::isspace((unsigned char)s[pos])) ++pos;
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
      } else if (pos >= s.size() || s[pos] != ']') {
        fail_at(label, line, "expected ',' or ']' in a list");
      }
    }
  }
  const size_t start = pos;
  char quote = 0;
  while (pos < s.size()) {
    const char c = s[pos];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ',' || c == ']') {
      break;
    }
    ++pos;
  }
  return scalar(s.substr(start, pos - start), label, line);
}

YamlValue whole_flow(const std::string& s, const std::string& label, int line) {
  size_t pos = 0;
  YamlValue v = flow(s, pos, 0, label, line);
  if (!trim(s.substr(pos)).empty()) fail_at(label, line, "unexpected text after the value: " + trim(s.substr(pos)));
  return v;
}

int bracket_balance(const std::string& s) {
  int b = 0;
  char quote = 0;
  for (const char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[') {
      ++b;
    } else if (c == ']') {
      --b;
    }
  }
  return b;
}

int as_int(const YamlValue& v, const std::string& what, const std::string& label) {
  if (!v.is(YamlValue::Kind::Number) || !v.is_integer || std::abs(v.number) > 1e6)
    throw Error(label + ": " + what + " must be an integer, got " + v.str());
  return (int)v.number;
}

double as_number(const YamlValue& v, const std::string& what, const std::string& label) {
  if (!v.is(YamlValue::Kind::Number) || !std::isfinite(v.number))
    throw Error(label + ": " + what + " must be a number, got " + v.str());
  return v.number;
}

}  // namespace

std::string YamlValue::str() const {
  switch (kind) {
    case Kind::Null: return "None";
    case Kind::Bool: return b ? "True" : "False";
    case Kind::Number: return text;
    case Kind::String: return text;
    case Kind::List: {
      std::string out = "[";
      for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i].str();
      return out + "]";
    }
  }
  return "";
}

YamlDocument parse_yaml(const std::string& text, const std::string& label) {
  if (text.size() > kMaxConfigBytes) throw Error(label + ": too large for a model config (" +
                                                 std::to_string(text.size()) + " bytes)");
  YamlDocument doc;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  YamlValue* block = nullptr;  // the list that "- item" lines append to
  while (std::getline(in, raw)) {
    ++line;
    std::string s = yaml_strip_comment(raw);
    if (trim(s).empty()) continue;
    if (s.find('\t') != std::string::npos) fail_at(label, line, "tabs are not allowed in YAML indentation");
    const int start_line = line;
    // A flow list may continue over several lines: read until the brackets balance.
    while (bracket_balance(s) > 0 && std::getline(in, raw)) {
      ++line;
      s += " " + yaml_strip_comment(raw);
    }
    if (bracket_balance(s) != 0) fail_at(label, start_line, "unbalanced brackets");
    const std::string t = trim(s);
    const bool indented = std::isspace((unsigned char)s[0]);
    if (t[0] == '-' && (t.size() == 1 || t[1] == ' ')) {
      if (!block) fail_at(label, start_line, "a list item outside a key");
      block->items.push_back(whole_flow(t.substr(1), label, start_line));
      continue;
    }
    if (indented && t[0] == '[' && block && block->items.empty()) {
      // "key:" followed by an indented flow list (the official configs write backbone/head so).
      *block = whole_flow(t, label, start_line);
      block = nullptr;
      continue;
    }
    if (indented) fail_at(label, start_line, "nested mappings are not supported in a model config");
    const size_t colon = t.find(':');
    if (colon == std::string::npos) fail_at(label, start_line, "expected 'key: value', got " + t);
    const std::string key = trim(t.substr(0, colon));
    const std::string rest = trim(t.substr(colon + 1));
    for (const auto& kv : doc)
      if (kv.first == key) fail_at(label, start_line, "duplicate key '" + key + "'");
    if (rest.empty()) {
      YamlValue list;
      list.kind = YamlValue::Kind::List;
      doc.emplace_back(key, list);
      block = &doc.back().second;
    } else {
      doc.emplace_back(key, whole_flow(rest, label, start_line));
      block = nullptr;
    }
  }
  return doc;
}

YoloConfig parse_yolo_config(const std::string& text, const std::string& label) {
  const YamlDocument doc = parse_yaml(text, label);
  YoloConfig cfg;
  cfg.text = text;
  const YamlValue* backbone = nullptr;
  const YamlValue* head = nullptr;
  const YamlValue* anchors = nullptr;
  for (const auto& [key, v] : doc) {
    if (key == "nc") cfg.nc = as_int(v, "nc", label);
    else if (key == "depth_multiple") cfg.depth_multiple = as_number(v, "depth_multiple", label);
    else if (key == "width_multiple") cfg.width_multiple = as_number(v, "width_multiple", label);
    else if (key == "ch") cfg.ch = as_int(v, "ch", label);
    else if (key == "anchors") anchors = &v;
    else if (key == "backbone") backbone = &v;
    else if (key == "head") head = &v;
    // other keys (activation, channel_multiple, ...) are not part of the v7.0 grammar we build
  }
  if (cfg.nc < 1 || cfg.nc > 100000) throw Error(label + ": nc = " + std::to_string(cfg.nc) + " is not a class count");
  if (!(cfg.depth_multiple > 0 && cfg.depth_multiple <= 10 && cfg.width_multiple > 0 && cfg.width_multiple <= 10))
    throw Error(label + ": depth_multiple and width_multiple must be in (0, 10]");
  if (cfg.ch < 1 || cfg.ch > 64) throw Error(label + ": ch = " + std::to_string(cfg.ch) + " input channels");
  if (!backbone || !head) throw Error(label + ": needs both 'backbone' and 'head' layer lists");
  if (!anchors || !anchors->is(YamlValue::Kind::List) || anchors->items.empty())
    throw Error(label + ": 'anchors' must list (w, h) pixel pairs per level (an anchor count is not supported)");
  for (const YamlValue& level : anchors->items) {
    if (!level.is(YamlValue::Kind::List) || level.items.empty() || level.items.size() % 2)
      throw Error(label + ": each anchors level must be a list of w, h pairs, got " + level.str());
    std::vector<float> a;
    for (const YamlValue& x : level.items) {
      const double d = as_number(x, "an anchor size", label);
      if (!(d > 0 && d < 1e5)) throw Error(label + ": anchor size " + x.str() + " is not a positive pixel size");
      a.push_back((float)d);
    }
    cfg.anchors.push_back(a);
  }
  for (const YamlValue* section : {backbone, head}) {
    if (!section->is(YamlValue::Kind::List)) throw Error(label + ": 'backbone' and 'head' must be lists");
    for (const YamlValue& item : section->items) {
      const std::string where = label + ": layer " + std::to_string(cfg.layers.size());
      if (!item.is(YamlValue::Kind::List) || item.items.size() != 4 || !item.items[3].is(YamlValue::Kind::List))
        throw Error(where + " is not [from, number, module, args]: " + item.str());
      LayerSpec spec;
      const YamlValue& from = item.items[0];
      if (from.is(YamlValue::Kind::List)) {
        for (const YamlValue& f : from.items) spec.from.push_back(as_int(f, "from", where));
      } else {
        spec.from.push_back(as_int(from, "from", where));
      }
      if (spec.from.empty()) throw Error(where + ": empty 'from'");
      spec.number = as_int(item.items[1], "number", where);
      if (spec.number < 1) throw Error(where + ": number must be >= 1");
      if (!item.items[2].is(YamlValue::Kind::String)) throw Error(where + ": module must be a name, got " + item.items[2].str());
      spec.module = item.items[2].text;
      spec.args = item.items[3].items;
      cfg.layers.push_back(spec);
      if ((int)cfg.layers.size() > kMaxLayers) throw Error(label + ": more than " + std::to_string(kMaxLayers) + " layers");
    }
    if (section == backbone) cfg.backbone_size = (int)cfg.layers.size();
  }
  return cfg;
}

YoloConfig load_yolo_config(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open");
  std::string text;
  char buf[4096];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, (size_t)f.gcount());
    if (text.size() > kMaxConfigBytes) throw Error(path + ": too large for a model config");
  }
  return parse_yolo_config(text, path);
}

}  // namespace yp::yolo
