// tensor.h: the one data type of the engine.
//
// A Tensor is a handle (shared_ptr) to a contiguous, row-major buffer with a shape, a dtype and a
// device. Shapes follow PyTorch: images are (N, C, H, W), the last dimension is the fastest.
// There are no strided views: reshape shares the buffer, every other op writes a new one. That
// keeps every kernel a plain loop over contiguous memory (llm.c style), which is what a reader
// and a profiler want.
//
// dtypes:  F32  the compute type everywhere;
//          F64  CPU only, so that finite-difference gradient checks run in double precision;
//          F16  storage only (imported checkpoints, fp16 model files): convert with to(F32).
// devices: CPU, and CUDA when built with it. Copies between devices are explicit (to()).
//
// Autograd (autograd.h): a tensor that requires_grad collects .grad() in backward(); a tensor made
// by an op while grad mode is on remembers the op (grad_fn) that made it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace yp {

enum class Device { CPU, CUDA };
enum class DType { F32, F64, F16 };

const char* device_name(Device d);
const char* dtype_name(DType t);
size_t dtype_size(DType t);

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);

// A block of memory on one device. Freed (or returned to the CUDA cache) with the last owner.
struct Storage {
  void* data = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() == false), used for "no bias", "no grad"

  // --- creation (contents uninitialised for empty) ---
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_cuda() const { return device() == Device::CUDA; }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Raw data. data<T>() checks that T matches the dtype (F16 is read as uint16_t).
  template <typename T> T* data();
  template <typename T> const T* data() const;
  void* raw_data();
  const void* raw_data() const;

  // Element access on the CPU, for tests and small tensors (converted to double).
  double item() const;                    // numel() must be 1
  double at(int64_t flat_index) const;
  std::vector<float> to_vector() const;   // any dtype, any device -> host floats

  // --- copies (all return new buffers; the source is untouched) ---
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;
  // The same buffer seen with another shape (numel must agree; one dim may be -1).
  // Differentiable: the gradient is reshaped back.
  Tensor reshape(const Shape& shape) const;

  // In-place fills, not recorded by autograd (initialisation, optimizer state).
  void fill_(double value);
  void copy_from(const Tensor& src);  // same shape and dtype, any devices

  // --- autograd ---
  bool requires_grad() const;
  Tensor& set_requires_grad(bool r);
  Tensor grad() const;                 // undefined until a backward reaches this leaf
  void set_grad(const Tensor& g);
  void zero_grad();                    // drops the gradient (the next backward starts from zero)
  const std::shared_ptr<Node>& grad_fn() const;
  void set_grad_fn(std::shared_ptr<Node> node);
  bool is_leaf() const { return grad_fn() == nullptr; }
  // Runs reverse-mode differentiation from this tensor. With no argument it must hold one element
  // and the seed gradient is 1.
  void backward(const Tensor& seed = Tensor()) const;
  // The same data, cut from the graph (no grad_fn, requires_grad false).
  Tensor detach() const;

  const std::string& name() const;
  Tensor& set_name(const std::string& n);

  // Identity of the underlying tensor (two handles to one tensor compare equal).
  const TensorImpl* id() const { return impl_.get(); }

 private:
  std::shared_ptr<TensorImpl> impl_;
  void check_defined(const char* what) const;
};

// Tensors by name in a fixed order (a state dict, a checkpoint's contents): handles, sharing the buffers.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// The state behind a Tensor handle.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  Tensor grad;                    // accumulated by backward() on leaves
  std::shared_ptr<Node> grad_fn;  // the op that produced this tensor (null on leaves)
  std::string name;
};

// Checks used by every op; each throws yp::Error naming the op and the offending shapes.
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b);
void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what);
void check_float(const char* op, const Tensor& t);  // F32 or F64

}  // namespace yp
