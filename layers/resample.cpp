// resample.cpp: Upsample and Concat (resample.h).
#include "layers/resample.h"

#include "tensor/ops/concat.h"
#include "tensor/ops/upsample.h"

namespace yp {

Upsample::Upsample(int scale_) : scale(scale_) {
  YP_CHECK(scale >= 1, "Upsample: scale must be a positive integer, got " + std::to_string(scale));
}

Tensor Upsample::forward(const std::vector<Tensor>& inputs) { return upsample_nearest(inputs.at(0), scale); }

Shape Upsample::output_shape(const std::vector<Shape>& inputs) const {
  Shape y = inputs.at(0);
  y[2] *= scale;
  y[3] *= scale;
  return y;
}

Tensor Concat::forward(const std::vector<Tensor>& inputs) { return concat_channels(inputs); }

Shape Concat::output_shape(const std::vector<Shape>& inputs) const {
  YP_CHECK(!inputs.empty(), "Concat: no inputs");
  Shape y = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape& x = inputs[i];
    YP_CHECK(x.size() == 4 && x[0] == y[0] && x[2] == y[2] && x[3] == y[3],
             "Concat: input " + shape_str(x) + " does not fit " + shape_str(inputs[0]));
    y[1] += x[1];
  }
  return y;
}

}  // namespace yp
