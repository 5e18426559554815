// yolov5_layer_shapes.h: the distinct convolution shapes of yolov5s at a 1024x1024 input (batch 1), the one
// table the convolution benchmarks (bench_conv2d.cpp on the CPU, bench_cuda_kernels.cpp on the GPU) and tests
// parameterise over. yolov5n halves every channel count except the RGB input and the Detect output (width
// multiple 0.25 instead of 0.5). pad = kernel / 2, except the stem's 2.
#pragma once

#include <cstdint>
#include <vector>

namespace yp::bench {

struct Yolov5ConvLayer {
  const char* name;  // yolov5s module path
  int64_t C, K, kernel, stride, in_size;
  bool bias;  // only the Detect convs have one (BN follows the others)
  int pad() const { return kernel == 6 ? 2 : int(kernel / 2); }
  int64_t out_size() const { return (in_size + 2 * pad() - kernel) / stride + 1; }
};

inline const std::vector<Yolov5ConvLayer>& yolov5s_conv_layers() {
  static const std::vector<Yolov5ConvLayer> layers = {
      {"m0_stem_6x6s2", 3, 32, 6, 2, 1024, false},
      {"m1_3x3s2", 32, 64, 3, 2, 512, false},
      {"m2_cv1_1x1", 64, 32, 1, 1, 256, false},
      {"m2_m_cv2_3x3", 32, 32, 3, 1, 256, false},
      {"m2_cv3_1x1", 64, 64, 1, 1, 256, false},
      {"m3_3x3s2", 64, 128, 3, 2, 256, false},
      {"m4_cv1_1x1", 128, 64, 1, 1, 128, false},
      {"m4_m_cv2_3x3", 64, 64, 3, 1, 128, false},
      {"m4_cv3_1x1", 128, 128, 1, 1, 128, false},
      {"m5_3x3s2", 128, 256, 3, 2, 128, false},
      {"m6_cv1_1x1", 256, 128, 1, 1, 64, false},
      {"m6_m_cv2_3x3", 128, 128, 3, 1, 64, false},
      {"m6_cv3_1x1", 256, 256, 1, 1, 64, false},
      {"m7_3x3s2", 256, 512, 3, 2, 64, false},
      {"m8_cv1_1x1", 512, 256, 1, 1, 32, false},
      {"m8_m_cv2_3x3", 256, 256, 3, 1, 32, false},
      {"m8_cv3_1x1", 512, 512, 1, 1, 32, false},
      {"m9_sppf_cv2_1x1", 1024, 512, 1, 1, 32, false},
      {"m18_3x3s2", 128, 128, 3, 2, 128, false},
      {"m21_3x3s2", 256, 256, 3, 2, 64, false},
      {"m24_detect_P3_1x1", 128, 255, 1, 1, 128, true},
  };
  return layers;
}

}  // namespace yp::bench
