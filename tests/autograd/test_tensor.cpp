// Tests for autograd/tensor.h and autograd/generator.h.
#include "autograd/generator.h"
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;

TEST_CASE("factories make tensors of the requested shape and value", "[tensor]") {
    Tensor z = Tensor::zeros({2, 3});
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.numel() == 6);
    CHECK(z.dim() == 2);
    CHECK(z.size(-1) == 3);
    for (float v : z.to_vector()) CHECK(v == 0.0f);
    CHECK(Tensor::full({4}, 2.5f).at({3}) == 2.5f);
    CHECK(Tensor::scalar(3.0f).item() == 3.0f);
    CHECK(Tensor::scalar(3.0f).dim() == 0);
    CHECK(Tensor::arange(5).at({4}) == 4.0f);
    Tensor v = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(v.at({1, 0}) == 4.0f);
    CHECK(reinterpret_cast<uintptr_t>(v.data()) % 64 == 0);
}

TEST_CASE("misuse gives a message naming the problem", "[tensor]") {
    CHECK_THROWS_WITH(Tensor::from_vector({1, 2, 3}, {2, 2}), Catch::Contains("3 values cannot fill shape (2,2)"));
    CHECK_THROWS_WITH(Tensor::zeros({2, 2}).item(), Catch::Contains("has 4 elements, not 1"));
    CHECK_THROWS_WITH(Tensor::zeros({2}).at({2}), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(Tensor::zeros({2}).size(1), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(Tensor().shape(), Catch::Contains("undefined Tensor"));
}

TEST_CASE("copying a Tensor shares it, clone copies the numbers", "[tensor]") {
    Tensor a = Tensor::zeros({3});
    Tensor alias = a;
    Tensor copy = a.clone();
    alias.data()[0] = 5.0f;
    CHECK(a.at({0}) == 5.0f);
    CHECK(copy.at({0}) == 0.0f);
}

TEST_CASE("printing shows the shape, the values and the autograd state", "[tensor]") {
    Tensor a = Tensor::from_vector({1.5f, -2.0f}, {2}, true);
    CHECK(a.to_string() == "Tensor(2) [1.5, -2] requires_grad");
    CHECK((a * 2.0f).to_string() == "Tensor(2) [3, -4] grad_fn=mul");
    std::string long_text = Tensor::arange(100).to_string();
    CHECK_THAT(long_text, Catch::Contains("(88 more)"));
    CHECK_THAT(long_text, Catch::EndsWith("98, 99]"));
    CHECK(Tensor().to_string() == "Tensor(undefined)");
}

TEST_CASE("the generator is the reference PCG32", "[tensor][random]") {
    // The first outputs of the PCG32 reference demo, seeded with (42, 54).
    Generator gen(42, 54);
    CHECK(gen.next_u32() == 0xa15c02b7u);
    CHECK(gen.next_u32() == 0x7b47f409u);
    CHECK(gen.next_u32() == 0xba1d3330u);
    CHECK(gen.next_u32() == 0x83d2f293u);
}

TEST_CASE("random tensors are reproducible and have the right moments", "[tensor][random]") {
    Generator a(3), b(3), c(4);
    Tensor x = Tensor::randn({20000}, a);
    CHECK(x.to_vector() == Tensor::randn({20000}, b).to_vector());
    CHECK(x.to_vector() != Tensor::randn({20000}, c).to_vector());
    double mean_value = mean(x).item();
    double var_value = mean(square(x - Tensor::scalar(float(mean_value)))).item();
    CAPTURE(mean_value, var_value);
    CHECK(std::fabs(mean_value) < 0.03);
    CHECK(std::fabs(var_value - 1.0) < 0.04);

    Generator u(5);
    Tensor r = Tensor::rand({20000}, u, -2.0f, 6.0f);
    float lo = r.to_vector()[0], hi = lo;
    for (float v : r.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
    CHECK(lo >= -2.0f);
    CHECK(hi < 6.0f);
    CHECK(mean(r).item() == Approx(2.0).margin(0.06));
}

TEST_CASE("integer draws are unbiased and in range", "[tensor][random]") {
    Generator gen(11);
    std::vector<int> counts(3, 0);
    for (int i = 0; i < 30000; ++i) counts.at(gen.integer(3))++;
    for (int c : counts) CHECK(c == Approx(10000).margin(400));
}

TEST_CASE("a generator's saved state resumes the exact stream", "[tensor][random]") {
    Generator gen(9);
    gen.normal(); // leaves a spare normal pending: the state must carry it
    Generator copy(0);
    copy.set_state(gen.state());
    for (int i = 0; i < 5; ++i) CHECK(copy.normal() == gen.normal());
    CHECK(copy.next_u32() == gen.next_u32());
    CHECK_THROWS_WITH(copy.set_state("12 not-a-number"), Catch::Contains("malformed state"));
    CHECK_THROWS_WITH(copy.set_state("1 2 0 0"), Catch::Contains("malformed state")); // even increment
}
