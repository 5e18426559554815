// run_record.cpp: run.json - writing it, and comparing a folder's record with a new run's settings (run_record.h).
#include "apps/run_record.h"

#include <cstdio>
#include <filesystem>

#include "util/build_info.h"
#include "util/error.h"
#include "util/text.h"
#include "yolo/io/json.h"

namespace yp::app {

namespace fs = std::filesystem;

std::string setting(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);  // "20", "0.25", "2.2": what the user typed, for the usual values
  return buf;
}

std::string settings_difference(const std::string& recorded, const Settings& now, const std::string& label) {
  const io::Json j = io::parse_json(recorded.data(), recorded.size(), label);
  const io::Json* s = j.find("settings");
  if (!s || !s->is(io::Json::Kind::Object)) throw Error(label + ": no \"settings\" object (not a yolopick run.json)");
  std::string diff;
  const auto add = [&](const std::string& key, const std::string& was, const std::string& is) {
    diff += (diff.empty() ? "" : ", ") + key + " " + (was.empty() ? "(none)" : was) + " (now " +
            (is.empty() ? "none" : is) + ")";
  };
  for (const auto& [key, value] : now) {
    const io::Json* old = s->find(key);
    const std::string was = old && old->is(io::Json::Kind::String) ? old->text : "";
    if (!old || was != value) add(key, was, value);
  }
  for (const auto& [key, value] : s->object) {
    bool known = false;
    for (const auto& kv : now) known = known || kv.first == key;
    if (!known) add(key, value.is(io::Json::Kind::String) ? value.text : "?", "");
  }
  return diff.empty() ? "" : label + " records other settings: " + diff;
}

bool record_run(const std::string& dir, const std::string& command, const Settings& settings, const Args& args,
                bool continuing, bool force) {
  const fs::path path = fs::path(dir) / "run.json";
  bool overridden = false;
  if (continuing && fs::exists(path)) {
    const std::string diff = settings_difference(read_text_file(path.string()), settings, path.string());
    if (!diff.empty() && !force)
      throw Error(diff + ": continuing would mix results of both; give --force to redo the run with the new "
                  "settings, or another output folder");
    overridden = !diff.empty();
  }
  io::Json j;
  j.kind = io::Json::Kind::Object;
  j.object.emplace_back("command", io::Json::string(command));
  j.object.emplace_back("version", io::Json::string(build_info_line()));
  j.object.emplace_back("created", io::Json::string(utc_now_iso()));
  io::Json s;
  s.kind = io::Json::Kind::Object;
  for (const auto& [key, value] : settings) s.object.emplace_back(key, io::Json::string(value));
  j.object.emplace_back("settings", std::move(s));
  std::vector<io::Json> a;
  for (const std::string& arg : args) a.push_back(io::Json::string(arg));
  j.object.emplace_back("arguments", io::Json::array_of(std::move(a)));
  fs::create_directories(dir);
  write_text_file_atomic(path.string(), io::write_json(j) + "\n");
  return overridden;
}

}  // namespace yp::app
