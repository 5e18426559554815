// coco_golden.h: reading ../shared/golden/yolov5n_coco - the official YOLOv5n's input tensor, raw and decoded
// outputs (float32 files) and detections ("cls name conf x1 y1 x2 y2" lines) for bus.jpg.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "yolo/detection.h"

namespace yp::test {

// `count` float32 values; the file must hold exactly that many.
inline std::vector<float> read_f32(const std::string& path, size_t count) {
  std::ifstream f(path, std::ios::binary);
  std::vector<float> v(count);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(float)));
  EXPECT_EQ(static_cast<size_t>(f.gcount()), count * sizeof(float)) << path;
  EXPECT_EQ(f.peek(), EOF) << path << " is longer than expected";
  return v;
}

inline Tensor read_f32_tensor(const std::string& path, const Shape& shape) {
  return Tensor::from_vector(read_f32(path, static_cast<size_t>(shape_numel(shape))), shape);
}

inline std::vector<yolo::Detection> read_golden_detections(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::vector<yolo::Detection> out;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    yolo::Detection d;
    std::string name;
    if (s >> d.cls >> name >> d.conf >> d.x1 >> d.y1 >> d.x2 >> d.y2) out.push_back(d);
  }
  return out;
}

}  // namespace yp::test
