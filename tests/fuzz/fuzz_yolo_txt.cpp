// fuzz_yolo_txt.cpp: libFuzzer target for YOLO label text, both readers: the picker's (normalised boxes of a
// 1000 x 800 micrograph, picker/formats_text.h) and training's (class count checked, train/dataset.h).
// fuzz-libs: yp_train
#include <cstdlib>

#include "picker/formats_text.h"
#include "tests/fuzz/fuzz_file.h"
#include "util/error.h"
#include "train/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = yp::fuzz::as_file(data, size, "mic.txt");
  try {
    const yp::picker::MicrographPicks m = yp::picker::read_yolo_txt(path, 1000, 800);
    yp::picker::write_yolo_txt(path, m);
    if (yp::picker::read_yolo_txt(path, 1000, 800).picks.size() != m.picks.size()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  try {
    yp::train::read_yolo_labels(yp::fuzz::as_file(data, size, "label.txt"), 3);
  } catch (const yp::Error&) {
  }
  return 0;
}
