// autograd.cpp — recording, the backward pass, and the autograd half of Tensor.
#include "autograd/autograd.h"

#include "autograd/ops_inplace.h"
#include "autograd/tensor_loops.h"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

namespace hd {

// ---- grad mode --------------------------------------------------------------------

namespace {
thread_local bool g_grad_mode = true;
}

bool grad_mode_enabled() { return g_grad_mode; }

NoGradGuard::NoGradGuard() : previous_(g_grad_mode) { g_grad_mode = false; }
NoGradGuard::~NoGradGuard() { g_grad_mode = previous_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
    if (!g_grad_mode) return false;
    for (const Tensor* t : inputs)
        if (t->defined() && t->requires_grad()) return true;
    return false;
}

void record(Tensor& output, std::string op_name, std::vector<Tensor> inputs, BackwardFn backward) {
    if (!g_grad_mode) return;
    bool needed = false;
    for (const Tensor& t : inputs) needed = needed || (t.defined() && t.requires_grad());
    if (!needed) return;
    auto node = std::make_shared<Node>();
    node->op_name = std::move(op_name);
    node->inputs = std::move(inputs);
    node->backward = std::move(backward);
    output.impl()->grad_fn = std::move(node);
    output.impl()->requires_grad = true;
}

// ---- Tensor: autograd accessors ---------------------------------------------------

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::set_requires_grad(bool value) {
    if (!is_leaf())
        throw std::logic_error(fmt::format("set_requires_grad: only a leaf tensor can change it; this one "
                                           "was made by '{}' (use detach() to get a leaf)", op_name()));
    impl_->requires_grad = value;
    return *this;
}

bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }

Tensor Tensor::grad() const {
    const auto& g = checked().grad;
    return g ? Tensor(g) : Tensor();
}

void Tensor::zero_grad() { checked(); impl_->grad.reset(); }

Tensor Tensor::detach() const {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = checked().storage;
    impl->shape = impl_->shape;
    return Tensor(std::move(impl));
}

std::string Tensor::op_name() const {
    const auto& node = checked().grad_fn;
    return node ? node->op_name : "leaf";
}

// ---- the backward pass ------------------------------------------------------------

namespace {

// Tensors reachable from `root` through grad_fn inputs, each after every tensor that
// uses it (a topological order from the output back to the leaves). Iterative, so a
// deep graph (a long sampling loop) cannot overflow the stack. The order holds each
// tensor alive: the pass frees node links as it goes, and would otherwise free a
// tensor it has yet to visit.
std::vector<std::shared_ptr<TensorImpl>> topological_order(const std::shared_ptr<TensorImpl>& root) {
    std::vector<std::shared_ptr<TensorImpl>> post_order;
    std::unordered_set<TensorImpl*> visited{root.get()};
    std::vector<std::pair<std::shared_ptr<TensorImpl>, size_t>> stack{{root, 0}};
    while (!stack.empty()) {
        auto& [impl, next_input] = stack.back();
        const Node* node = impl->grad_fn.get();
        if (node && next_input < node->inputs.size()) {
            const auto& input = node->inputs[next_input++].impl_ptr();
            if (input && input->requires_grad && visited.insert(input.get()).second) stack.push_back({input, 0});
            continue;
        }
        post_order.push_back(std::move(impl));
        stack.pop_back();
    }
    return {post_order.rbegin(), post_order.rend()};
}

// Nothing but this handle holds the tensor or its storage, so it may be written in place.
bool sole_owner(const Tensor& t) { return t.impl_ptr().use_count() == 1 && t.impl()->storage.use_count() == 1; }

// total += grad, for a gradient on its way through the graph (not yet a leaf's .grad).
// No gradient is ever copied here: the first to arrive is adopted as it is, even when
// another input shares it (add's backward hands the same grad_out to both inputs;
// reshape's is a view). A later one is added in place into whichever of the two
// nobody else holds, or, when both are shared, into a new tensor — so no buffer that
// someone else can see is ever written. (Cloning shared gradients on arrival cost a
// full copy of the activation at every residual add.)
void accumulate(Tensor& total, Tensor&& grad) {
    if (!total.defined()) {
        total = std::move(grad);
    } else if (sole_owner(total)) {
        add_(total, grad);
    } else if (sole_owner(grad) && grad.shape() == total.shape()) {
        add_(grad, total); // x + y == y + x bitwise, so which buffer is written does not change the numbers
        total = std::move(grad);
    } else {
        total = map_binary(total, grad, "accumulate", [](float x, float y) { return x + y; }); // a new buffer, as add() makes
    }
}

// A leaf's .grad outlives the backward pass: users and optimizers read it and write
// it in place (clip_grad_norm scales it), so a leaf never keeps a buffer it shares.
void accumulate_leaf(Tensor& total, Tensor&& grad) {
    if (total.defined()) {
        add_(total, grad);
        return;
    }
    total = sole_owner(grad) ? std::move(grad) : grad.clone();
}

}  // namespace

void Tensor::backward() const {
    if (numel() != 1)
        throw ShapeError(fmt::format("backward: the output has shape {}, not a single value; pass the "
                                     "upstream gradient explicitly: y.backward(grad_y)", shape_str(shape())));
    backward(Tensor::ones(shape()));
}

void Tensor::backward(const Tensor& grad_output) const {
    if (!requires_grad())
        throw std::logic_error("backward: this tensor does not require grad (no input of the ops that "
                               "made it has requires_grad set, or it was made inside a NoGradGuard)");
    if (grad_output.shape() != shape())
        throw ShapeError(fmt::format("backward: the upstream gradient has shape {} but the tensor has shape {}",
                                     shape_str(grad_output.shape()), shape_str(shape())));
    NoGradGuard no_grad; // backward functions compute with ops, but must not record them

    std::unordered_map<TensorImpl*, Tensor> grads;
    grads[impl()] = grad_output;
    for (std::shared_ptr<TensorImpl>& held : topological_order(impl_)) {
        std::shared_ptr<TensorImpl> owner = std::move(held); // dropped at the end of this step
        TensorImpl* impl = owner.get();
        auto found = grads.find(impl);
        if (found == grads.end()) continue; // nothing flowed here
        Tensor grad = std::move(found->second);
        grads.erase(found);

        Node* node = impl->grad_fn.get();
        if (!node) { // a leaf: keep its gradient
            Tensor total = impl->grad ? Tensor(impl->grad) : Tensor();
            accumulate_leaf(total, std::move(grad));
            impl->grad = total.impl_ptr();
            continue;
        }
        if (node->released)
            throw std::logic_error(fmt::format("backward: the graph through '{}' was already used by an "
                                               "earlier backward() and freed; run the forward pass again",
                                               node->op_name));
        std::vector<Tensor> input_grads = node->backward(grad);
        for (size_t i = 0; i < node->inputs.size() && i < input_grads.size(); ++i) {
            const Tensor& input = node->inputs[i];
            if (!input_grads[i].defined() || !input.defined() || !input.requires_grad()) continue;
            if (input_grads[i].shape() != input.shape())
                throw std::logic_error(fmt::format("backward of '{}' returned a gradient of shape {} for an "
                                                   "input of shape {} (a bug in that op)", node->op_name,
                                                   shape_str(input_grads[i].shape()), shape_str(input.shape())));
            accumulate(grads[input.impl()], std::move(input_grads[i]));
        }
        // Free what this node saved and its links to the inputs: the graph behind a
        // tensor costs memory only until backward has used it.
        node->backward = nullptr;
        node->inputs.clear();
        node->released = true;
    }
}

}  // namespace hd
