// autograd.cpp: the backward engine. See autograd.h and docs/autograd.md.
#include "tensor/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "tensor/ops/elementwise.h"

namespace yp {

namespace {
thread_local bool g_grad_mode = true;
}

bool grad_mode_enabled() { return g_grad_mode; }
NoGradGuard::NoGradGuard() : previous_(g_grad_mode) { g_grad_mode = false; }
NoGradGuard::~NoGradGuard() { g_grad_mode = previous_; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_mode) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

Tensor record(const char* op, Tensor output, std::vector<Tensor> inputs, BackwardFn backward) {
  if (!g_grad_mode) return output;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return output;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.set_grad_fn(std::move(node));
  output.set_requires_grad(true);
  return output;
}

void accumulate(Tensor& acc, const Tensor& g) {
  if (!acc.defined()) {
    acc = g.detach();
    return;
  }
  check_same_shape("gradient accumulation", acc, g);
  NoGradGuard no_grad;
  add_inplace(acc, g);
}

void Tensor::backward(const Tensor& seed) const {
  YP_CHECK(requires_grad(), "backward(): the tensor does not require grad (no input required a gradient)");
  Tensor root_grad = seed;
  if (!root_grad.defined()) {
    YP_CHECK(numel() == 1, "backward(): a seed gradient is needed for a tensor of shape " + shape_str(shape()));
    root_grad = Tensor::full(shape(), 1.0, dtype(), device());
  }
  check_same_shape("backward(): seed", *this, root_grad);
  YP_CHECK(root_grad.device() == device(), std::string("backward(): the seed is on ") + device_name(root_grad.device()) +
                                               ", the tensor on " + device_name(device()));

  // Topological order by iterative depth-first search (graphs of big models are deep: no recursion).
  std::vector<Tensor> order;
  std::unordered_set<const TensorImpl*> visited;
  std::vector<std::pair<Tensor, size_t>> stack{{*this, 0}};
  visited.insert(id());
  while (!stack.empty()) {
    auto& [t, next_input] = stack.back();
    const auto& fn = t.grad_fn();
    if (fn && next_input < fn->inputs.size()) {
      const Tensor& in = fn->inputs[next_input++];
      if (in.defined() && in.requires_grad() && visited.insert(in.id()).second) stack.push_back({in, 0});
    } else {
      order.push_back(t);
      stack.pop_back();
    }
  }

  // Reverse walk: `order` ends with the root. Gradients of intermediates live in `pending` only
  // until their node has run, so peak memory is that of the activations, not twice it.
  NoGradGuard no_grad;
  std::unordered_map<const TensorImpl*, Tensor> pending;
  pending[id()] = root_grad;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Tensor t = *it;
    auto found = pending.find(t.id());
    if (found == pending.end()) continue;  // nothing flowed here (e.g. an input used only by no-grad paths)
    Tensor g = found->second;
    pending.erase(found);
    const auto& fn = t.grad_fn();
    if (!fn) {  // a leaf: accumulate into .grad()
      Tensor acc = t.grad();
      accumulate(acc, g);
      t.set_grad(acc);
      continue;
    }
    std::vector<Tensor> grads = fn->backward(g);
    YP_CHECK(grads.size() == fn->inputs.size(),
             "backward of " + fn->op + " returned " + std::to_string(grads.size()) + " gradients for " +
                 std::to_string(fn->inputs.size()) + " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      const Tensor& in = fn->inputs[i];
      if (!in.defined() || !in.requires_grad() || !grads[i].defined()) continue;
      YP_CHECK(grads[i].shape() == in.shape(), "backward of " + fn->op + ": gradient " + shape_str(grads[i].shape()) +
                                                   " for input " + std::to_string(i) + " of shape " +
                                                   shape_str(in.shape()));
      // A kernel handed a pointer of the other device reads garbage or faults far from here.
      YP_CHECK(grads[i].device() == in.device(), "backward of " + fn->op + ": gradient on " +
                                                     device_name(grads[i].device()) + " for input " + std::to_string(i) +
                                                     " on " + device_name(in.device()));
      accumulate(pending[in.id()], grads[i]);
    }
  }
}

}  // namespace yp
