// autograd.h: reverse-mode automatic differentiation, micrograd-shaped.
//
// Every differentiable op does two things (see docs/autograd.md for the walk-through):
//   1. computes its output with a plain kernel, and
//   2. if grad mode is on and an input requires a gradient, attaches a Node to the output:
//        Node{ op name, inputs, backward closure }
//      The closure captures what the backward needs (the "saved tensors") and maps the gradient
//      of the output to one gradient per input (an undefined Tensor where an input needs none).
//
// Tensor::backward() sorts the graph topologically (depth-first from the root), walks it in
// reverse, calls each closure once with the summed gradient of its output, and adds the results
// into the inputs: into a map for intermediate tensors (freed as soon as they are consumed), into
// .grad() for leaves that require it (accumulating across backward calls until zero_grad()).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace yp {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string op;               // "conv2d", "silu", ... (shown by error messages and graph dumps)
  std::vector<Tensor> inputs;   // the tensors the op read; gradients flow back to these
  BackwardFn backward;          // grad_output -> {grad_input_0, grad_input_1, ...}
};

// Grad mode is on by default. NoGradGuard switches it off for a scope (inference, optimizer
// updates, EMA), so ops record nothing and keep no saved tensors alive.
bool grad_mode_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op with these inputs must record a Node.
bool needs_grad(std::initializer_list<const Tensor*> inputs);

// Attaches Node{op, inputs, backward} to `output` when needs_grad(inputs); returns `output`.
// Undefined inputs (e.g. "no bias") are allowed and receive no gradient.
Tensor record(const char* op, Tensor output, std::vector<Tensor> inputs, BackwardFn backward);

// Adds `g` into `acc` (allocating it on first use). Same shape required.
void accumulate(Tensor& acc, const Tensor& g);

}  // namespace yp
