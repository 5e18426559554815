// concat.cpp: see concat.h. Both ops, and both backwards, are one routine: copy a range of
// channels of every image from one (N, C, inner) buffer into a channel range of another.
#include "tensor/ops/concat.h"

#include <cstring>
#include <string>

#include "tensor/autograd.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

// Below this many bytes the copy is not worth waking the OpenMP team for.
constexpr int64_t kParallelMinBytes = int64_t(1) << 20;

// Layout of a (N, C, *rest) tensor seen as N images of C channels of `inner` elements.
struct ChannelLayout {
  int64_t N, C, inner;
};

ChannelLayout channel_layout(const Tensor& t) {
  return {t.size(0), t.size(1), t.dim() > 2 ? shape_numel(Shape(t.shape().begin() + 2, t.shape().end())) : 1};
}

// dst[n, dst_c0 + c, :] = src[n, src_c0 + c, :] for n < N, c < count. One image's channel range is
// contiguous, so each image is one memcpy of count*inner elements.
void copy_channel_range(const Tensor& src, const ChannelLayout& s, int64_t src_c0, Tensor& dst,
                        const ChannelLayout& d, int64_t dst_c0, int64_t count) {
  const int64_t elem = (int64_t)dtype_size(src.dtype());
  const int64_t block = count * s.inner * elem;
  if (block == 0) return;  // nothing to copy (and the buffers may be null)
  if (dst.is_cuda()) {  // one strided device-to-device copy (cuda_kernels/concat.h)
    YP_CUDA_DISPATCH(cuda::copy_channel_block(src.raw_data(), s.C, src_c0, dst.raw_data(), d.C, dst_c0, count, s.N,
                                              s.inner, (size_t)elem));
    return;
  }
  const char* from = static_cast<const char*>(src.raw_data());
  char* to = static_cast<char*>(dst.raw_data());
#pragma omp parallel for if (block * s.N > kParallelMinBytes) schedule(static)
  for (int64_t n = 0; n < s.N; ++n)
    std::memcpy(to + ((n * d.C + dst_c0) * d.inner) * elem, from + ((n * s.C + src_c0) * s.inner) * elem,
                (size_t)block);
}

std::string trailing_shape(const Tensor& t) {
  return shape_str(Shape(t.shape().begin() + 2, t.shape().end()));
}

}  // namespace

Tensor concat_channels(const std::vector<Tensor>& xs) {
  YP_CHECK(!xs.empty(), "concat_channels: no inputs");
  const Tensor& first = xs[0];
  int64_t total_C = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    const std::string which = "input " + std::to_string(i) + " " + (x.defined() ? shape_str(x.shape()) : "");
    YP_CHECK(x.defined(), "concat_channels: input " + std::to_string(i) + " is undefined");
    YP_CHECK(x.dim() >= 2, "concat_channels: " + which + " must have at least 2 dimensions (N, C, ...)");
    check_same_dtype_device("concat_channels", first, x);
    YP_CHECK(x.dim() == first.dim(), "concat_channels: " + which + " has " + std::to_string(x.dim()) +
                                         " dimensions, input 0 " + shape_str(first.shape()) + " has " +
                                         std::to_string(first.dim()));
    YP_CHECK(x.size(0) == first.size(0), "concat_channels: batch sizes differ: " + which + " vs input 0 " +
                                             shape_str(first.shape()));
    for (int64_t d = 2; d < x.dim(); ++d)
      YP_CHECK(x.size(d) == first.size(d), "concat_channels: trailing sizes differ: " + which + " has " +
                                               trailing_shape(x) + " after the channels, input 0 has " +
                                               trailing_shape(first));
    total_C += x.size(1);
  }
  Shape out_shape = first.shape();
  out_shape[1] = total_C;
  Tensor y = Tensor::empty(out_shape, first.dtype(), first.device());
  const ChannelLayout out = channel_layout(y);
  // The backward needs each input's channel range and whether it wants a gradient, not its data.
  std::vector<int64_t> offsets, channels;
  std::vector<bool> wanted;
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    copy_channel_range(x, channel_layout(x), 0, y, out, offset, x.size(1));
    offsets.push_back(offset);
    channels.push_back(x.size(1));
    wanted.push_back(x.requires_grad());
    offset += x.size(1);
  }
  return record("concat_channels", y, xs, [offsets, channels, wanted](const Tensor& dy) {
    std::vector<Tensor> dxs(offsets.size());
    for (size_t i = 0; i < offsets.size(); ++i)
      if (wanted[i]) dxs[i] = narrow_channels(dy, offsets[i], channels[i]);
    return dxs;
  });
}

Tensor narrow_channels(const Tensor& x, int64_t start, int64_t length) {
  YP_CHECK(x.defined(), "narrow_channels: the input is undefined");
  YP_CHECK(x.dim() >= 2, "narrow_channels: x " + shape_str(x.shape()) + " must have at least 2 dimensions (N, C, ...)");
  const int64_t C = x.size(1);
  YP_CHECK(start >= 0 && length >= 0 && start + length <= C,
           "narrow_channels: channels [" + std::to_string(start) + ", " + std::to_string(start + length) +
               ") are outside the " + std::to_string(C) + " channels of " + shape_str(x.shape()));
  Shape out_shape = x.shape();
  out_shape[1] = length;
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  const ChannelLayout in = channel_layout(x);
  copy_channel_range(x, in, start, y, channel_layout(y), 0, length);
  const Shape x_shape = x.shape();
  return record("narrow_channels", y, {x}, [x_shape, in, start, length](const Tensor& dy) {
    Tensor dx = Tensor::zeros(x_shape, dy.dtype(), dy.device());
    copy_channel_range(dy, channel_layout(dy), 0, dx, in, start, length);
    return std::vector<Tensor>{dx};
  });
}

}  // namespace yp
