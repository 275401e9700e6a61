// Tests for the engine in autograd/autograd.h: accumulation, NoGradGuard, detach,
// freeing of the graph, and the errors a student meets.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

using namespace hd;

TEST_CASE("a tensor used twice gets the sum of both gradients", "[autograd]") {
    Tensor x = Tensor::from_vector({2.0f, -3.0f}, {2}, true);
    // y = x*x + 3x  =>  dy/dx = 2x + 3
    Tensor y = sum(x * x + x * 3.0f);
    y.backward();
    test::require_close(x.grad(), Tensor::from_vector({7.0f, -3.0f}, {2}));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad", "[autograd]") {
    Tensor x = Tensor::from_vector({1.0f, 2.0f}, {2}, true);
    sum(x * 2.0f).backward();
    sum(x * 2.0f).backward();
    test::require_close(x.grad(), Tensor::from_vector({4.0f, 4.0f}, {2}));
    x.zero_grad();
    CHECK_FALSE(x.grad().defined());
    sum(x * 5.0f).backward();
    test::require_close(x.grad(), Tensor::from_vector({5.0f, 5.0f}, {2}));
}

TEST_CASE("backward accepts an explicit upstream gradient", "[autograd]") {
    Tensor x = Tensor::from_vector({1.0f, 2.0f, 3.0f}, {3}, true);
    Tensor y = x * x;
    y.backward(Tensor::from_vector({1.0f, 0.0f, -1.0f}, {3}));
    test::require_close(x.grad(), Tensor::from_vector({2.0f, 0.0f, -6.0f}, {3}));
}

TEST_CASE("backward on a non-scalar without a gradient says what to do", "[autograd]") {
    Tensor x = Tensor::ones({2, 2}, true);
    Tensor y = x * 2.0f;
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("not a single value") && Catch::Contains("y.backward(grad_y)"));
    CHECK_THROWS_WITH(y.backward(Tensor::ones({4})), Catch::Contains("upstream gradient has shape (4)"));
    CHECK_THROWS_WITH(Tensor::ones({1}).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("NoGradGuard stops recording and restores it afterwards", "[autograd]") {
    Tensor x = Tensor::ones({2}, true);
    {
        NoGradGuard guard;
        Tensor y = x * 3.0f;
        CHECK_FALSE(y.requires_grad());
        CHECK(y.is_leaf());
        CHECK_FALSE(grad_mode_enabled());
    }
    CHECK(grad_mode_enabled());
    CHECK((x * 3.0f).requires_grad());
}

TEST_CASE("detach cuts the graph but shares the numbers", "[autograd]") {
    Tensor x = Tensor::from_vector({1.0f, 2.0f}, {2}, true);
    Tensor y = x * x;
    Tensor d = y.detach();
    CHECK(d.is_leaf());
    CHECK_FALSE(d.requires_grad());
    CHECK(d.data() == y.data());
    // Only the attached path carries gradient: d(x*x + x*x_detached)/dx = 2x + x
    sum(y + x * d).backward();
    test::require_close(x.grad(), Tensor::from_vector({2.0f + 1.0f, 4.0f + 4.0f}, {2}));
}

TEST_CASE("only leaves can change requires_grad", "[autograd]") {
    Tensor x = Tensor::ones({2}, true);
    Tensor y = x * 2.0f;
    CHECK_THROWS_WITH(y.set_requires_grad(false), Catch::Contains("only a leaf") && Catch::Contains("'mul'"));
    CHECK(y.op_name() == "mul");
    CHECK(x.op_name() == "leaf");
}

TEST_CASE("the graph is freed by backward and a second backward explains why it fails", "[autograd]") {
    Tensor x = Tensor::ones({3}, true);
    Tensor h = exp(x);
    std::weak_ptr<TensorImpl> watch = h.impl_ptr();
    Tensor loss = sum(h * 2.0f);
    h = Tensor(); // only the graph holds the intermediate now
    CHECK_FALSE(watch.expired());
    loss.backward();
    CHECK(watch.expired()); // backward released it although `loss` is still alive
    CHECK_THROWS_WITH(loss.backward(), Catch::Contains("already used by an earlier backward()"));
}

TEST_CASE("dropping the output frees the whole graph (no reference cycles)", "[autograd]") {
    std::weak_ptr<TensorImpl> intermediate, output;
    Tensor x = Tensor::ones({4}, true);
    {
        Tensor h = sigmoid(exp(x) * x);
        Tensor y = sum(silu(h));
        intermediate = h.impl_ptr();
        output = y.impl_ptr();
    }
    CHECK(intermediate.expired());
    CHECK(output.expired());
}

TEST_CASE("a very deep graph runs backward without overflowing the stack", "[autograd]") {
    Tensor x = Tensor::scalar(1.0f, true);
    Tensor y = x;
    for (int i = 0; i < 20000; ++i) y = y * 1.0f;
    y.backward();
    CHECK(x.grad().item() == Approx(1.0f).margin(1e-6));
}

TEST_CASE("gradient does not flow into inputs that do not require it", "[autograd]") {
    Tensor a = Tensor::ones({2}, true);
    Tensor b = Tensor::ones({2});
    sum(a * b).backward();
    CHECK(a.grad().defined());
    CHECK_FALSE(b.grad().defined());
}

TEST_CASE("gradcheck catches a wrong backward and names the element", "[autograd][gradcheck]") {
    // A deliberately wrong op: y = x², with a backward that forgets the factor 2.
    auto wrong_square = [](const std::vector<Tensor>& in) {
        Tensor x = in[0];
        Tensor y = Tensor::empty(x.shape());
        for (int64_t i = 0; i < x.numel(); ++i) y.data()[i] = x.data()[i] * x.data()[i];
        record(y, "wrong_square", {x}, [x](const Tensor& grad_out) { return std::vector<Tensor>{mul(grad_out, x)}; });
        return y;
    };
    Tensor x = test::random_input({3}, 5);
    GradcheckResult result = gradcheck(wrong_square, {x});
    CHECK_FALSE(result.ok);
    CHECK(result.checked == 3);
    CHECK_THAT(result.message, Catch::Contains("input 0 (3) element 0: autograd"));
    // …and passes the right one.
    CHECK(gradcheck([](const std::vector<Tensor>& in) { return mul(in[0], in[0]); }, {x}).ok);
}
