// run_record.h: every run folder (pick, detect, train, evaluate) holds run.json - the command, yolopick's version
// and build, when it ran, the settings that shape its results and the arguments as typed - so a folder of
// outputs says how it was made. A run that continues an earlier one in the same folder (pick's resume, train
// --resume) must have the same settings: a difference is refused, each one named, unless --force.
//
//   {"command": "pick", "version": "yolopick 0.1.0 (3883c64, Release, ...)", "created": "2026-12-02T15:04:05Z",
//    "settings": {"model": "klh.safetensors", "conf": "0.25", ...}, "arguments": ["-m", "klh.safetensors", ...]}
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "apps/commands.h"

namespace yp::app {

// The options that decide a run's results, as text, in a fixed order (inputs, progress and sharding excluded:
// adding micrographs to a pick folder or splitting it into array tasks is the same run).
using Settings = std::vector<std::pair<std::string, std::string>>;

// "RUN.json records other settings: conf 0.3 (now 0.25), iou 0.45 (now 0.5)" or "" when they agree. `recorded`
// is the text of an earlier run.json; `label` names it in the message.
std::string settings_difference(const std::string& recorded, const Settings& now, const std::string& label);

// Before a run in `dir`: with `continuing` (the run adds to what the folder holds) and a run.json there, the
// settings must agree - else yp::Error naming the differences and how to go on (--force, or another folder);
// `force` accepts the new settings. Then writes dir/run.json (through a temporary file). Returns true when an
// earlier record disagreed and `force` overrode it (the caller then redoes its work).
bool record_run(const std::string& dir, const std::string& command, const Settings& settings, const Args& args,
                bool continuing, bool force);

// Number formatting for Settings, the same every time ("%.15g": 0.25, 2.2, 20).
std::string setting(double value);

}  // namespace yp::app
