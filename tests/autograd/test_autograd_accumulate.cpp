// Tests for gradient accumulation without copies (accumulate in autograd.cpp): shared
// gradients are summed correctly and never written through another tensor's buffer.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

using namespace hd;
using test::random_input;

TEST_CASE("a tensor used by both inputs of add gets both gradients", "[autograd][accumulate]") {
    Tensor x = random_input({3, 4}, 1);
    Tensor h = x * 2.0f;  // an intermediate whose gradient arrives twice, shared
    Tensor y = h + h;     // add hands the same grad_out to both inputs
    Tensor z = y + h;     // and a third use
    sum(z * z).backward();
    // dz/dx = 2 z · (dz/dh = 3) · 2
    Tensor expected = (x * 6.0f) * 2.0f * 3.0f * 2.0f;
    test::require_close(x.grad(), expected.detach(), 1e-5f, 1e-5f);
}

TEST_CASE("leaf gradients that came from one shared buffer are separate tensors", "[autograd][accumulate]") {
    Tensor a = random_input({5}, 2), b = random_input({5}, 3);
    Tensor g = Tensor::ones({5});
    (a + b).backward(g);
    Tensor grad_a = a.grad();
    mul_(grad_a, 3.0f); // scale a's gradient in place, as clip_grad_norm does
    test::require_close(b.grad(), Tensor::ones({5}), 0.0f, 0.0f);
    test::require_close(g, Tensor::ones({5}), 0.0f, 0.0f);
    test::require_close(a.grad(), Tensor::full({5}, 3.0f), 0.0f, 0.0f);
}

TEST_CASE("a residual sum adds the gradient of both paths without touching grad_out", "[autograd][accumulate]") {
    Tensor x = random_input({2, 3, 4, 4}, 4);
    Tensor h = silu(x);
    Tensor r = h + reshape(reshape(h, {2, -1}), {2, 3, 4, 4}); // a view of h's gradient path too
    Tensor upstream = random_input(r.shape(), 5).detach();
    Tensor kept = upstream.clone();
    r.backward(upstream);
    test::require_close(upstream, kept, 0.0f, 0.0f); // the caller's gradient was not written
    Tensor x2 = x.detach();
    x2.set_requires_grad();
    (silu(x2) * 2.0f).backward(upstream);
    test::require_close(x.grad(), x2.grad(), 1e-6f, 1e-6f);
}
