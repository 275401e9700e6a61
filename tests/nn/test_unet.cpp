// Tests for nn/unet.h: shapes, parameter names, gradients reaching every parameter,
// and finite differences on a ResBlock.
#include "autograd/ops.h"
#include "nn/unet.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;
using test::random_input;

namespace {
// Every parameter of `unet` has a gradient after a backward pass; `nonzero` also asks that it is not all zeros.
void require_every_gradient(UNet& unet, bool nonzero) {
    for (auto& [name, p] : unet.named_parameters()) {
        CAPTURE(name);
        REQUIRE(p.grad().defined());
        if (!nonzero) continue;
        double norm = 0.0;
        for (float g : p.grad().to_vector()) norm += double(g) * g;
        CHECK(norm > 0.0);
    }
}
}  // namespace

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
    require_every_gradient(unet, /*nonzero=*/true);
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


TEST_CASE("a four-level UNet adds a level on top at half the width, named in the same pattern", "[unet]") {
    Generator gen(5);
    UNet unet({.base_channels = 16, .embedding_dim = 16, .groups = 4, .levels = 4}, gen);
    CHECK(unet.widths() == std::vector<int64_t>{8, 16, 32, 64});
    std::vector<std::string> names;
    for (auto& [name, p] : unet.named_parameters())
        if (name.size() > 7 && name.substr(name.size() - 7) == ".weight" && name.find('.') == name.rfind('.'))
            names.push_back(name.substr(0, name.size() - 7));
    // Top-level convolutions and blocks in the order a checkpoint stores them.
    CHECK(names == std::vector<std::string>{"conv_in", "down1", "down2", "down3", "norm_out", "conv_out"});
    Tensor x = random_input({2, 3, 16, 8}, 6).detach();
    Tensor emb = random_input({2, 16}, 7);
    Tensor y = unet.forward(x, emb);
    CHECK(y.shape() == x.shape());
    sum(y * y).backward();
    require_every_gradient(unet, /*nonzero=*/false);
    CHECK_THROWS_WITH(unet.forward(Tensor::zeros({1, 3, 12, 8}), Tensor::zeros({1, 16})),
                      Catch::Contains("divisible by 8, got (1,3,12,8)"));
    CHECK_THROWS_WITH(UNet({.base_channels = 8, .groups = 8, .levels = 4}, gen), Catch::Contains("top level's width C/2"));
    CHECK_THROWS_WITH(UNet({.base_channels = 8, .groups = 4, .levels = 2}, gen), Catch::Contains("levels 2 is not in 3..8"));
}

TEST_CASE("the colour path adds g(emb) ⊙ mean_HW(x), starts at zero, and trains", "[unet]") {
    Generator plain_gen(8), colour_gen(8); // same draws: the nets share every other weight
    UNet plain({.base_channels = 8, .embedding_dim = 16, .groups = 4}, plain_gen);
    UNet coloured({.base_channels = 8, .embedding_dim = 16, .groups = 4, .colour_path = true}, colour_gen);
    REQUIRE(coloured.colour_gain);
    CHECK_FALSE(plain.colour_gain);
    Tensor x = random_input({2, 3, 8, 8}, 9).detach();
    Tensor emb = random_input({2, 16}, 10).detach();
    test::require_close(coloured.forward(x, emb), plain.forward(x, emb), 0.0f); // g = 0 at the start

    // With g = 1 for every channel the output moves by each image's mean colour.
    std::fill(coloured.colour_gain->bias.data(), coloured.colour_gain->bias.data() + 3, 1.0f);
    Tensor moved = coloured.forward(x, emb) - plain.forward(x, emb);
    Tensor expected = mean(x, {2, 3}, true) + Tensor::zeros({2, 3, 8, 8});
    test::require_close(moved, expected, 1e-5f);

    sum(coloured.forward(x, emb) * coloured.forward(x, emb)).backward();
    REQUIRE(coloured.colour_gain->weight.grad().defined());
    double norm = 0.0;
    for (float g : coloured.colour_gain->weight.grad().to_vector()) norm += double(g) * g;
    CHECK(norm > 0.0);
    CHECK_THROWS_WITH(UNet({.in_channels = 4, .base_channels = 8, .groups = 4, .colour_path = true}, colour_gen),
                      Catch::Contains("colour path needs as many output channels as input channels"));
}
