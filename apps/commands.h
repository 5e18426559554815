// commands.h: the sub-commands of the `yolopick` program. Each lives in its own cmd_<name>.cpp,
// takes the arguments after its name, and returns the process exit code. Errors the user can fix
// are reported as one line on stderr by main() (yp::Error and std::exception).
#pragma once

#include <string>
#include <vector>

namespace yp::app {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args& args);
};

int cmd_info(const Args& args);
int cmd_import(const Args& args);
int cmd_simulate(const Args& args);
int cmd_evaluate(const Args& args);
int cmd_preprocess(const Args& args);
int cmd_train(const Args& args);
int cmd_detect(const Args& args);
int cmd_pick(const Args& args);
int cmd_calibrate(const Args& args);
int cmd_review(const Args& args);

// The table main() dispatches on, in the order `yolopick --help` lists them.
const std::vector<Command>& commands();

}  // namespace yp::app
