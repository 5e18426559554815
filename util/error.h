// error.h: the one error type of the project and its check macro.
//
// Every problem with an input - a file, an option, a shape - is reported as yp::Error with a one-line message
// that names the file (or the option) and the problem; the commands print it and exit 1. Every library
// includes this header, not tensor/tensor.h, for it: imgproc and the picker formats need no tensor.
#pragma once

#include <stdexcept>
#include <string>

namespace yp {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws yp::Error with the given message when `cond` is false.
#define YP_CHECK(cond, ...)                                           \
  do {                                                                \
    if (!(cond)) ::yp::detail::fail(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

namespace detail {
// Out of line, so the cold path of every YP_CHECK stays small.
[[noreturn]] void fail(const char* file, int line, const std::string& msg);
}  // namespace detail

}  // namespace yp
