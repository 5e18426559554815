// tensor.cpp: Tensor bookkeeping (creation, copies, conversions). No math lives here.
#include "tensor/tensor.h"

#include <cstring>
#include <sstream>

#include "tensor/autograd.h"
#include "tensor/device.h"
#include "tensor/half.h"

namespace yp {

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::F16: return "float16";
  }
  return "?";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::F16: return 2;
  }
  return 0;
}

std::string shape_str(const Shape& s) {
  std::ostringstream o;
  o << "(";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  if (s.size() == 1) o << ",";
  o << ")";
  return o.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) throw Error("negative dimension in shape " + shape_str(s));
    n *= d;
  }
  return n;
}

Storage::Storage(size_t nbytes, Device dev) : bytes(nbytes), device(dev) { data = device_alloc(nbytes, dev); }
Storage::~Storage() { device_free(data, bytes, device); }

// ---------------------------------------------------------------------------------------------
// creation

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  if (device == Device::CUDA && dtype == DType::F64)
    throw Error("float64 tensors are CPU-only (used for gradient checks)");
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->shape = shape;
  t.impl_->dtype = dtype;
  t.impl_->storage = std::make_shared<Storage>(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  device_zero(t.raw_data(), t.nbytes(), device);
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, Device::CPU);
  t.fill_(value);
  return device == Device::CPU ? t : t.to(device);
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  YP_CHECK(shape_numel(shape) == (int64_t)values.size(),
           "from_vector: " + std::to_string(values.size()) + " values do not fill shape " + shape_str(shape));
  Tensor t = empty(shape, DType::F32);
  std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape) {
  YP_CHECK(shape_numel(shape) == (int64_t)values.size(),
           "from_vector: " + std::to_string(values.size()) + " values do not fill shape " + shape_str(shape));
  Tensor t = empty(shape, DType::F64);
  std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(double));
  return t;
}

// ---------------------------------------------------------------------------------------------
// accessors

void Tensor::check_defined(const char* what) const {
  if (!impl_) throw Error(std::string(what) + ": tensor is undefined");
}

const Shape& Tensor::shape() const {
  check_defined("shape");
  return impl_->shape;
}

int64_t Tensor::size(int64_t d) const {
  const int64_t n = dim();
  if (d < 0) d += n;
  YP_CHECK(d >= 0 && d < n, "size(" + std::to_string(d) + ") of a tensor of shape " + shape_str(shape()));
  return impl_->shape[d];
}

int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const {
  check_defined("dtype");
  return impl_->dtype;
}
Device Tensor::device() const {
  check_defined("device");
  return impl_->storage->device;
}

void* Tensor::raw_data() {
  check_defined("data");
  return impl_->storage->data;
}
const void* Tensor::raw_data() const {
  check_defined("data");
  return impl_->storage->data;
}

namespace {
template <typename T> DType dtype_of();
template <> DType dtype_of<float>() { return DType::F32; }
template <> DType dtype_of<double>() { return DType::F64; }
template <> DType dtype_of<uint16_t>() { return DType::F16; }
}  // namespace

template <typename T> T* Tensor::data() {
  YP_CHECK(dtype() == dtype_of<T>(), std::string("data<T>(): tensor is ") + dtype_name(dtype()));
  return static_cast<T*>(raw_data());
}
template <typename T> const T* Tensor::data() const {
  YP_CHECK(dtype() == dtype_of<T>(), std::string("data<T>(): tensor is ") + dtype_name(dtype()));
  return static_cast<const T*>(raw_data());
}
template float* Tensor::data<float>();
template double* Tensor::data<double>();
template uint16_t* Tensor::data<uint16_t>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const uint16_t* Tensor::data<uint16_t>() const;

double Tensor::at(int64_t i) const {
  YP_CHECK(i >= 0 && i < numel(), "at(" + std::to_string(i) + ") out of range for shape " + shape_str(shape()));
  if (device() != Device::CPU) return to(Device::CPU).at(i);
  switch (dtype()) {
    case DType::F32: return data<float>()[i];
    case DType::F64: return data<double>()[i];
    case DType::F16: return half_to_float(data<uint16_t>()[i]);
  }
  return 0;
}

double Tensor::item() const {
  YP_CHECK(numel() == 1, "item(): tensor of shape " + shape_str(shape()) + " has " + std::to_string(numel()) +
                             " elements, not 1");
  return at(0);
}

std::vector<float> Tensor::to_vector() const {
  const Tensor t = to(Device::CPU).to(DType::F32);
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

// ---------------------------------------------------------------------------------------------
// copies

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), dtype(), target);
  device_copy(out.raw_data(), target, raw_data(), device(), nbytes());
  return out;
}

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  if (device() != Device::CPU) return to(Device::CPU).to(target).to(device());
  Tensor out = empty(shape(), target);
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) {
    const double v = at(i);
    switch (target) {
      case DType::F32: out.data<float>()[i] = (float)v; break;
      case DType::F64: out.data<double>()[i] = v; break;
      case DType::F16: out.data<uint16_t>()[i] = float_to_half((float)v); break;
    }
  }
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  device_copy(out.raw_data(), device(), raw_data(), device(), nbytes());
  return out;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      YP_CHECK(infer < 0, "reshape: more than one -1 in " + shape_str(new_shape));
      infer = (int64_t)i;
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    YP_CHECK(known > 0 && numel() % known == 0,
             "reshape: cannot infer -1 reshaping " + shape_str(shape()) + " to " + shape_str(new_shape));
    s[infer] = numel() / known;
  }
  YP_CHECK(shape_numel(s) == numel(), "reshape: " + shape_str(shape()) + " has " + std::to_string(numel()) +
                                          " elements, " + shape_str(new_shape) + " needs " +
                                          std::to_string(shape_numel(s)));
  Tensor out;
  out.impl_ = std::make_shared<TensorImpl>();
  out.impl_->storage = impl_->storage;
  out.impl_->shape = s;
  out.impl_->dtype = impl_->dtype;
  const Shape original = shape();
  return record("reshape", out, {*this}, [original](const Tensor& g) { return std::vector<Tensor>{g.reshape(original)}; });
}

void Tensor::fill_(double value) {
  if (device() != Device::CPU) {
    Tensor host = Tensor::full(shape(), value, dtype());
    copy_from(host);
    return;
  }
  const int64_t n = numel();
  switch (dtype()) {
    case DType::F32: for (int64_t i = 0; i < n; ++i) data<float>()[i] = (float)value; break;
    case DType::F64: for (int64_t i = 0; i < n; ++i) data<double>()[i] = value; break;
    case DType::F16: {
      const uint16_t h = float_to_half((float)value);
      for (int64_t i = 0; i < n; ++i) data<uint16_t>()[i] = h;
      break;
    }
  }
}

void Tensor::copy_from(const Tensor& src) {
  YP_CHECK(src.shape() == shape() && src.dtype() == dtype(),
           "copy_from: source " + shape_str(src.shape()) + " " + dtype_name(src.dtype()) + " does not match " +
               shape_str(shape()) + " " + dtype_name(dtype()));
  device_copy(raw_data(), device(), src.raw_data(), src.device(), nbytes());
}

// ---------------------------------------------------------------------------------------------
// autograd state

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }
Tensor& Tensor::set_requires_grad(bool r) {
  check_defined("set_requires_grad");
  YP_CHECK(!r || dtype() != DType::F16, "float16 tensors cannot require gradients (convert to float32)");
  impl_->requires_grad = r;
  return *this;
}
Tensor Tensor::grad() const {
  check_defined("grad");
  return impl_->grad;
}
void Tensor::set_grad(const Tensor& g) {
  check_defined("set_grad");
  impl_->grad = g;
}
void Tensor::zero_grad() {
  check_defined("zero_grad");
  impl_->grad = Tensor();
}
const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_ ? impl_->grad_fn : none;
}
void Tensor::set_grad_fn(std::shared_ptr<Node> node) {
  check_defined("set_grad_fn");
  impl_->grad_fn = std::move(node);
}
Tensor Tensor::detach() const {
  Tensor out;
  out.impl_ = std::make_shared<TensorImpl>();
  out.impl_->storage = impl_->storage;
  out.impl_->shape = impl_->shape;
  out.impl_->dtype = impl_->dtype;
  return out;
}
const std::string& Tensor::name() const {
  check_defined("name");
  return impl_->name;
}
Tensor& Tensor::set_name(const std::string& n) {
  check_defined("set_name");
  impl_->name = n;
  return *this;
}

// ---------------------------------------------------------------------------------------------
// checks shared by the ops

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  YP_CHECK(a.shape() == b.shape(),
           std::string(op) + ": shapes differ: " + shape_str(a.shape()) + " vs " + shape_str(b.shape()));
}

void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b) {
  YP_CHECK(a.dtype() == b.dtype(), std::string(op) + ": dtypes differ: " + dtype_name(a.dtype()) + " vs " +
                                       dtype_name(b.dtype()));
  YP_CHECK(a.device() == b.device(), std::string(op) + ": devices differ: " + device_name(a.device()) + " vs " +
                                         device_name(b.device()));
}

void check_dim(const char* op, const Tensor& t, int64_t d, const char* what) {
  YP_CHECK(t.dim() == d, std::string(op) + ": " + what + " must have " + std::to_string(d) + " dimensions, got " +
                             shape_str(t.shape()));
}

void check_float(const char* op, const Tensor& t) {
  YP_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64,
           std::string(op) + ": needs float32 or float64, got " + dtype_name(t.dtype()));
}

}  // namespace yp
