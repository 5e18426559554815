// args.h: the one command-line reader every `yolopick` sub-command uses: walk the arguments, match flags,
// take a flag's value as text, a number, an integer in a range or a fraction, collect positionals, and
// detect --help. Every mistake is one line that names the flag and the bad value, e.g.
//   --imgsz: expected an integer in [32, 8192], got '6x'
// thrown as yp::Error; main() prints it after "yolopick COMMAND: error: " and exits 1.
//
//   ArgReader r(args, "detect");
//   while (r.next()) {
//     if (r.help()) return usage();
//     else if (r.is("--conf")) conf = r.fraction();
//     else if (r.positional()) inputs.push_back(r.arg());
//     else r.unknown();
//   }
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "apps/commands.h"

namespace yp::app {

// The text parsers, for values that come in pieces ("--percentiles 0.1,99.9"). `flag` names the option in
// the error. parse_number accepts what strtod reads, whole string, finite only.
double parse_number(const std::string& flag, const std::string& text);
// A whole number in [lo, hi] ("640", also "640.0" or "1e3").
int parse_integer(const std::string& flag, const std::string& text, int lo, int hi);
// "N" -> (N, N); "AxB" (also AXB or A,B) -> (A, B); each in [lo, hi].
std::pair<int, int> parse_int_pair(const std::string& flag, const std::string& text, int lo, int hi);

class ArgReader {
 public:
  // Reads args[first...]; `command` ("detect", "train labels") is named in the unknown-option message.
  ArgReader(const Args& args, std::string command, size_t first = 0);

  bool next();                      // moves to the next argument; false past the last
  const std::string& arg() const;   // the current argument
  bool is(const char* flag) const;  // the current argument is this flag
  bool is(const char* flag, const char* alias) const;
  bool help() const;                // --help or -h
  bool positional() const;          // not an option: empty or not starting with '-'

  // The current flag's value, consumed: "--model needs a value" when none follows.
  std::string value();
  double number();                  // parse_number of value()
  int integer(int lo, int hi);      // parse_integer of value()
  double fraction();                // a number in [0, 1]
  double number_in(double lo, double hi);  // a number in [lo, hi], checked when read (before any work)
  std::pair<int, int> int_pair(int lo, int hi);
  // One or more values: every following argument up to the next option ("--source a.jpg b.jpg -o out").
  std::vector<std::string> values();

  [[noreturn]] void unknown() const;  // "unknown option '--x' (yolopick detect --help)"

 private:
  const Args& args_;
  std::string command_;
  size_t next_;
  size_t current_ = 0;
};

}  // namespace yp::app
