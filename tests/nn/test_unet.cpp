// Tests for nn/unet.h: shapes, parameter names, gradients reaching every parameter,
// and finite differences on a ResBlock.
#include "autograd/ops.h"
#include "nn/unet.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;
using test::random_input;

TEST_CASE("ResBlock gradients match finite differences, with and without the 1x1 skip", "[unet][gradcheck]") {
    Generator gen(0);
    for (int64_t cout : {4, 8}) {
        CAPTURE(cout);
        ResBlock block(4, cout, 6, 2, gen);
        Tensor x = random_input({2, 4, 4, 4}, 1), emb = random_input({2, 6}, 2);
        std::vector<Tensor> inputs{x, emb};
        for (const Tensor& p : block.parameters()) inputs.push_back(p);
        test::require_gradcheck([&](const std::vector<Tensor>& in) { return block.forward(in[0], in[1]); }, inputs,
                                {.eps = 1e-3, .atol = 5e-3, .rtol = 3e-2});
        CHECK((cout == 4) == (block.skip == nullptr));
    }
}

TEST_CASE("the UNet maps (B,3,H,W) to (B,3,H,W) and every parameter gets a gradient", "[unet]") {
    Generator gen(1);
    UNet unet({.base_channels = 8, .embedding_dim = 16, .groups = 4}, gen);
    Tensor x = random_input({2, 3, 16, 12}, 3).detach();
    Tensor emb = random_input({2, 16}, 4);
    Tensor y = unet.forward(x, emb);
    CHECK(y.shape() == x.shape());
    sum(y * y).backward();
    for (auto& [name, p] : unet.named_parameters()) {
        CAPTURE(name);
        REQUIRE(p.grad().defined());
        double norm = 0.0;
        for (float g : p.grad().to_vector()) norm += double(g) * g;
        CHECK(norm > 0.0);
    }
    CHECK(emb.grad().defined());
}

TEST_CASE("the UNet has the layout of the SPEC", "[unet]") {
    Generator gen(2);
    UNet unet({.base_channels = 16, .embedding_dim = 64}, gen);
    auto named = unet.named_parameters();
    auto shape_of = [&](const std::string& name) {
        for (auto& [n, t] : named)
            if (n == name) return t.shape();
        FAIL("no parameter " << name);
        return Shape{};
    };
    CHECK(shape_of("conv_in.weight") == Shape{16, 3, 3, 3});
    CHECK(shape_of("res2.skip.weight") == Shape{32, 16, 1, 1});
    CHECK(shape_of("down2.weight") == Shape{32, 32, 3, 3});
    CHECK(shape_of("mid.conv1.weight") == Shape{64, 64, 3, 3});
    CHECK(shape_of("up2.norm1.weight") == Shape{96});    // 6C after concatenating skip2
    CHECK(shape_of("up1.conv1.weight") == Shape{16, 48, 3, 3});
    CHECK(shape_of("up1.emb_proj.weight") == Shape{16, 64});
    CHECK(shape_of("conv_out.weight") == Shape{3, 16, 3, 3});
}

TEST_CASE("the UNet rejects inputs it cannot handle, naming the shape", "[unet]") {
    Generator gen(3);
    UNet unet({.base_channels = 8, .embedding_dim = 16, .groups = 4}, gen);
    CHECK_THROWS_WITH(unet.forward(Tensor::zeros({1, 3, 10, 8}), Tensor::zeros({1, 16})),
                      Catch::Contains("divisible by 4, got (1,3,10,8)"));
    CHECK_THROWS_WITH(unet.forward(Tensor::zeros({1, 3, 8, 8}), Tensor::zeros({1, 15})),
                      Catch::Contains("expected embedding (1,16)"));
    CHECK_THROWS_WITH(UNet({.base_channels = 12, .groups = 8}, gen), Catch::Contains("multiple of groups"));
}
