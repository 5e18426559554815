// fuzz_data_yaml.cpp: libFuzzer target for YOLOv5's data.yaml subset (train/dataset.h). Whatever reads must
// write and read back to the same class names.
// fuzz-libs: yp_train
#include <cstdlib>

#include "tests/fuzz/fuzz_file.h"
#include "util/error.h"
#include "train/dataset.h"

using namespace yp::train;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = yp::fuzz::as_file(data, size, "data.yaml");
  try {
    const DatasetSpec s = read_dataset_yaml(path);
    write_dataset_yaml(path, s);
    if (read_dataset_yaml(path).names != s.names) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
