// error.cpp: the out-of-line half of YP_CHECK (error.h).
#include "util/error.h"

namespace yp::detail {

// The message is for the user and names what is wrong; the source position would only add noise to it.
void fail(const char* /*file*/, int /*line*/, const std::string& msg) { throw Error(msg); }

}  // namespace yp::detail
