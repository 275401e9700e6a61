// autograd.h — the reverse-mode engine: graph nodes, recording, NoGradGuard.
//
// Every op computes its output, then calls record() with its inputs and a backward
// function. The backward function receives the gradient of the loss with respect to
// the op's output (grad_out) and returns one gradient per input, in input order
// (an undefined Tensor for an input that needs none). The engine adds up the
// gradients that reach a tensor from all its uses, so a backward function never
// accumulates by itself: it just returns what its op contributes.
//
// Two rules keep memory right:
//   1. A backward function captures its inputs or saved values — never the op's
//      output. The output owns the node; capturing it would be a reference cycle.
//   2. Tensor::backward() releases each node's captures once they are used, so
//      a graph costs memory only until its backward has run.
#pragma once

#include "autograd/tensor.h"

#include <functional>
#include <vector>

namespace hd {

/// grad_out -> one gradient per input (undefined where the input needs none).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_out)>;

/// One recorded op: what it was, what it read, and how to differentiate it.
struct Node {
    std::string op_name;
    std::vector<Tensor> inputs;
    BackwardFn backward;
    bool released = false; // its captures were freed by a backward pass
};

/// Is recording enabled on this thread? (false inside a NoGradGuard)
bool grad_mode_enabled();

/// While alive, ops record nothing: for sampling, evaluation and optimizer updates.
class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

/// True when an op on these inputs must record a node.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

/// Attaches a backward to `output` if recording is on and any input requires grad.
void record(Tensor& output, std::string op_name, std::vector<Tensor> inputs, BackwardFn backward);

}  // namespace hd
