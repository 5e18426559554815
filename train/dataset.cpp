// dataset.cpp: data.yaml reading/writing, image listing, label files (dataset.h).
#include "train/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "picker/formats_text.h"
#include "util/error.h"
#include "util/text.h"
#include "yolo/yaml_config.h"

namespace fs = std::filesystem;

namespace yp::train {

namespace {

std::string unquote(const std::string& s) {
  const std::string t = trim(s);
  if (t.size() >= 2 && (t[0] == '\'' || t[0] == '"') && t.back() == t[0]) return t.substr(1, t.size() - 2);
  return t;
}

// "[a, 'b', c]" -> {a, b, c}
std::vector<std::string> parse_flow_list(const std::string& v, const std::string& file, int line) {
  if (v.size() < 2 || v.front() != '[' || v.back() != ']') fail_at(file, line, "expected a [list], got '" + v + "'");
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    const char c = v[i];
    if (quote) {
      if (c == quote) quote = 0;
      cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      cur += c;
    } else if (c == ',') {
      out.push_back(unquote(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.push_back(unquote(cur));
  return out;
}

struct YamlValue {
  std::string scalar;
  std::vector<std::string> list;          // flow or block list
  std::vector<std::pair<int, std::string>> map;  // block map with integer keys (names: {0: a})
  int line = 0;
  bool is_list = false, is_map = false;
};

std::vector<std::string> value_as_list(const YamlValue& v) {
  if (v.is_list) return v.list;
  if (v.is_map) {
    std::vector<std::string> out;
    for (const auto& kv : v.map) out.push_back(kv.second);
    return out;
  }
  if (v.scalar.empty()) return {};
  return {v.scalar};
}

bool is_absolute(const std::string& p) { return !p.empty() && fs::path(p).is_absolute(); }

}  // namespace

DatasetSpec read_dataset_yaml(const std::string& path) {
  if (!fs::is_regular_file(path)) throw Error(path + ": cannot open the data set file");
  std::istringstream in(read_text_file(path));
  std::vector<std::pair<std::string, YamlValue>> entries;
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = yolo::yaml_strip_comment(raw);
    if (trim(line).empty()) continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    const std::string t = trim(line);
    if (indented) {
      if (entries.empty()) fail_at(path, line_no, "indented line before any key");
      YamlValue& v = entries.back().second;
      if (t.rfind("- ", 0) == 0 || t == "-") {
        v.is_list = true;
        v.list.push_back(unquote(t.substr(1)));
      } else {
        const size_t colon = t.find(':');
        if (colon == std::string::npos) fail_at(path, line_no, "expected '- item' or 'index: name', got '" + t + "'");
        const std::string key = trim(t.substr(0, colon));
        char* end = nullptr;
        const long k = std::strtol(key.c_str(), &end, 10);
        if (key.empty() || *end) fail_at(path, line_no, "map keys under '" + entries.back().first + "' must be class indices");
        v.is_map = true;
        v.map.emplace_back(static_cast<int>(k), unquote(t.substr(colon + 1)));
      }
      continue;
    }
    const size_t colon = t.find(':');
    if (colon == std::string::npos) fail_at(path, line_no, "expected 'key: value', got '" + t + "'");
    YamlValue v;
    v.line = line_no;
    const std::string value = trim(t.substr(colon + 1));
    if (!value.empty() && value[0] == '[') {
      v.is_list = true;
      v.list = parse_flow_list(value, path, line_no);
    } else if (!value.empty() && value[0] == '{') {
      fail_at(path, line_no, "flow maps {..} are not supported; write names as a list");
    } else {
      v.scalar = unquote(value);
    }
    entries.emplace_back(trim(t.substr(0, colon)), v);
  }

  DatasetSpec spec;
  spec.yaml_path = path;
  spec.root = fs::absolute(fs::path(path)).parent_path().string();
  int nc_line = 0;
  for (const auto& [key, v] : entries) {
    if (key == "path") {
      if (!v.scalar.empty()) spec.root = is_absolute(v.scalar) ? v.scalar : (fs::path(spec.root) / v.scalar).string();
    } else if (key == "train") {
      spec.train = value_as_list(v);
    } else if (key == "val") {
      spec.val = value_as_list(v);
    } else if (key == "test") {
      spec.test = value_as_list(v);
    } else if (key == "nc") {
      char* end = nullptr;
      const long n = std::strtol(v.scalar.c_str(), &end, 10);
      if (v.scalar.empty() || *end || n < 1 || n > 100000) fail_at(path, v.line, "nc must be a positive integer, got '" + v.scalar + "'");
      spec.nc = static_cast<int>(n);
      nc_line = v.line;
    } else if (key == "names") {
      if (v.is_map) {
        auto m = v.map;
        std::sort(m.begin(), m.end());
        for (size_t i = 0; i < m.size(); ++i)
          if (m[i].first != static_cast<int>(i)) fail_at(path, v.line, "names must be indexed 0, 1, 2, ... without gaps");
      }
      spec.names = value_as_list(v);
    }
  }
  if (spec.train.empty()) throw Error(path + ": no 'train' entry");
  if (spec.val.empty()) throw Error(path + ": no 'val' entry");
  if (spec.nc == 0) spec.nc = static_cast<int>(spec.names.size());
  if (spec.nc == 0) throw Error(path + ": neither 'nc' nor 'names' is given");
  if (spec.names.empty())
    for (int i = 0; i < spec.nc; ++i) spec.names.push_back("class" + std::to_string(i));
  if (static_cast<int>(spec.names.size()) != spec.nc)
    fail_at(path, nc_line, "nc = " + std::to_string(spec.nc) + " but " + std::to_string(spec.names.size()) + " names are given");
  return spec;
}

void write_dataset_yaml(const std::string& path, const DatasetSpec& spec) {
  std::ostringstream s;
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    if (v.empty()) return;
    s << key << ":";
    if (v.size() == 1) {
      s << " " << v[0] << "\n";
      return;
    }
    s << "\n";
    for (const auto& e : v) s << "  - " << e << "\n";
  };
  if (!spec.root.empty()) s << "path: " << spec.root << "\n";
  list("train", spec.train);
  list("val", spec.val);
  list("test", spec.test);
  s << "nc: " << spec.nc << "\nnames: [";
  for (size_t i = 0; i < spec.names.size(); ++i) s << (i ? ", '" : "'") << spec.names[i] << "'";
  s << "]\n";
  write_text_file_atomic(path, s.str());
}

bool is_image_file(const std::string& path) {
  static const std::set<std::string> ext = {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".pgm", ".ppm", ".pnm", ".mrc"};
  return ext.count(lower_extension(path)) > 0;
}

std::vector<std::string> list_images(const std::vector<std::string>& entries, const std::string& root) {
  std::vector<std::string> out;
  for (const std::string& e : entries) {
    const fs::path p = is_absolute(e) ? fs::path(e) : fs::path(root) / e;
    if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (const auto& f : fs::recursive_directory_iterator(p))
        if (f.is_regular_file() && is_image_file(f.path().string())) found.push_back(f.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw Error(p.string() + ": folder holds no images");
      out.insert(out.end(), found.begin(), found.end());
    } else if (lower_extension(p.string()) == ".txt") {
      std::istringstream in(read_text_file(p.string()));
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const fs::path img = fs::path(t).is_absolute() ? fs::path(t) : p.parent_path() / t;
        if (!fs::exists(img)) fail_at(p.string(), n, "no such image '" + img.string() + "'");
        out.push_back(img.lexically_normal().string());
      }
    } else if (fs::is_regular_file(p) && is_image_file(p.string())) {
      out.push_back(p.string());
    } else {
      throw Error(p.string() + ": not a folder, an image list (.txt) or an image");
    }
  }
  return out;
}

std::string label_path_for(const std::string& image_path) {
  std::string s = image_path;
  const std::string from = "/images/", to = "/labels/";
  const size_t at = s.rfind(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return fs::path(s).replace_extension(".txt").string();
}

std::vector<YoloLabel> read_yolo_labels(const std::string& path, int nc) {
  std::vector<YoloLabel> out;
  if (!fs::exists(path)) return out;  // no file: an image without objects
  std::istringstream in(read_text_file(path));
  std::set<std::string> seen;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string t = trim(line);
    if (t.empty()) continue;
    const std::vector<std::string> tok = split_whitespace(t);
    if (tok.size() != 5)
      fail_at(path, n, "expected 5 columns 'class cx cy w h', found " + std::to_string(tok.size()) +
                        (tok.size() > 5 ? " (segments are not supported)" : ""));
    double v[5];
    for (int i = 0; i < 5; ++i) {
      char* end = nullptr;
      v[i] = std::strtod(tok[i].c_str(), &end);
      if (end == tok[i].c_str() || *end || !std::isfinite(v[i])) fail_at(path, n, "not a number: '" + tok[i] + "'");
    }
    if (v[0] != std::floor(v[0]) || v[0] < 0 || v[0] >= nc)
      fail_at(path, n, "class '" + tok[0] + "' outside 0.." + std::to_string(nc - 1));
    for (int i = 1; i < 5; ++i)
      if (v[i] < 0 || v[i] > 1) fail_at(path, n, "coordinate '" + tok[i] + "' is not normalised to [0, 1]");
    if (!seen.insert(t).second) continue;  // duplicate row
    out.push_back({static_cast<int>(v[0]), v[1], v[2], v[3], v[4]});
  }
  return out;
}

std::vector<MarkedPoint> read_marked_points(const std::string& path, MarkKind kind) {
  std::vector<MarkedPoint> out;
  if (!fs::exists(path)) return out;  // no file: nothing marked
  // The format's one reader (picker/formats_text.h), which evaluate and calibrate use too.
  for (const picker::MarkedPosition& m : picker::read_marked_positions(path)) out.push_back({kind, m.x, m.y});
  return out;
}

std::vector<MarkedPoint> read_marks_for_labels(const std::string& label_path) {
  const std::string stem = fs::path(label_path).replace_extension("").string();
  std::vector<MarkedPoint> out = read_marked_points(stem + ".excluded.txt", MarkKind::Excluded);
  const std::vector<MarkedPoint> uncertain = read_marked_points(stem + ".uncertain.txt", MarkKind::Uncertain);
  out.insert(out.end(), uncertain.begin(), uncertain.end());
  return out;
}

void write_yolo_labels(const std::string& path, const std::vector<YoloLabel>& labels) {
  std::ostringstream s;
  s.precision(6);
  s << std::fixed;
  for (const auto& l : labels) s << l.cls << " " << l.cx << " " << l.cy << " " << l.w << " " << l.h << "\n";
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  write_text_file_atomic(path, s.str());
}

std::vector<Sample> load_split(const DatasetSpec& spec, const std::string& split) {
  const std::vector<std::string>* entries = split == "train" ? &spec.train : split == "val" ? &spec.val
                                          : split == "test"  ? &spec.test : nullptr;
  if (!entries) throw Error("unknown split '" + split + "' (train, val or test)");
  if (entries->empty()) throw Error(spec.yaml_path + ": no '" + split + "' entry");
  std::vector<Sample> out;
  for (const std::string& img : list_images(*entries, spec.root)) {
    const std::string labels = label_path_for(img);
    out.push_back({img, read_yolo_labels(labels, spec.nc), read_marks_for_labels(labels)});
  }
  return out;
}

}  // namespace yp::train

namespace yp::train {

namespace {
std::string comma_list(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& e : v) out += (out.empty() ? "" : ", ") + e;
  return out;
}

// "a,b,c" as n numbers (empty: n ones); `what` names the flag in errors.
std::vector<double> number_list(const std::string& text, size_t n, const std::string& what) {
  if (trim(text).empty()) return std::vector<double>(n, 1.0);
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const std::string t = trim(item);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || *end || !std::isfinite(v)) throw Error(what + ": '" + t + "' is not a number");
    out.push_back(v);
  }
  if (out.size() != n)
    throw Error(what + " gives " + std::to_string(out.size()) + " values for " + std::to_string(n) +
                " --data sources (one per --data, in order)");
  return out;
}
}  // namespace

std::vector<DataSource> read_sources(const std::vector<std::string>& yaml_paths, const std::string& repeats,
                                     const std::string& weights) {
  if (yaml_paths.empty()) throw Error("no --data source");
  const std::vector<double> r = number_list(repeats, yaml_paths.size(), "--data-repeat");
  const std::vector<double> w = number_list(weights, yaml_paths.size(), "--data-weight");
  std::vector<DataSource> out;
  for (size_t i = 0; i < yaml_paths.size(); ++i) {
    if (r[i] < 1 || r[i] != std::floor(r[i]) || r[i] > 1e6)
      throw Error("--data-repeat: " + yaml_paths[i] + " repeat must be a whole number >= 1");
    if (w[i] < 0) throw Error("--data-weight: " + yaml_paths[i] + " weight must be >= 0");
    DataSource s{read_dataset_yaml(yaml_paths[i]), static_cast<int>(r[i]), w[i]};
    if (!out.empty() && (s.spec.nc != out[0].spec.nc || s.spec.names != out[0].spec.names))
      throw Error(yaml_paths[i] + ": its classes (" + comma_list(s.spec.names) + ") differ from those of " +
                  yaml_paths[0] + " (" + comma_list(out[0].spec.names) + "): sources mixed in one run must agree");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> load_sources(const std::vector<DataSource>& sources, const std::string& split) {
  std::vector<Sample> out;
  for (const DataSource& src : sources)
    for (Sample& s : load_split(src.spec, split)) {
      s.repeat = src.repeat;
      s.loss_weight = src.weight;
      out.push_back(std::move(s));
    }
  return out;
}

void require_labels(const std::vector<Sample>& samples, const DatasetSpec& spec, const std::string& split,
                    bool allow_empty) {
  if (allow_empty || samples.empty()) return;
  for (const Sample& s : samples)
    if (!s.labels.empty()) return;
  throw Error(spec.yaml_path + ": not one of the " + std::to_string(samples.size()) + " '" + split +
              "' images has a label (the first one's would be " + label_path_for(samples[0].image_path) +
              "); give --allow-empty to train on background only");
}

}  // namespace yp::train
