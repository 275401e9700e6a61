// test_hidden_part1.cpp — instructor tests of Part 1 (not in the student release).
//
// Other seeds, sizes and condition widths than the public tests, so that a forward pass
// fitted to the public numbers (or hard-coded to condition_dim 2, S 16) fails here.
#include "tests/homework/part_support.h"

using namespace hd;
using namespace hd::part_test;

namespace {

Tensor reference_forward(ImageDenoiser& model, const Tensor& x_t, const Tensor& t, const Tensor& condition) {
    return model.unet->forward(x_t, model.time_embed->forward(t) + model.condition_embed->forward(condition));
}

}  // namespace

TEST_CASE("Part 1 (hidden): a 3-wide condition, 12x12 images and a batch of four match the reference",
          "[hidden][part1]") {
    Generator gen(9001);
    ImageDenoiser model(tiny_denoiser_options(/*condition_dim=*/3), gen);
    const Tensor x_t = Tensor::randn({4, 3, 12, 12}, gen);
    const Tensor t = timesteps({0.0f, 17.5f, 333.0f, 998.0f});
    const Tensor condition = Tensor::randn({4, 3}, gen);
    const Tensor output = model.forward(x_t, t, condition);
    check_shape(output, x_t.shape(), "x_t");
    check_matches(output, reference_forward(model, x_t, t, condition),
                  "unet(x_t, time_embed(t) + condition_embed(condition))", {});
}

TEST_CASE("Part 1 (hidden): the gradient reaches x_t", "[hidden][part1]") {
    Generator gen(31);
    ImageDenoiser model(tiny_denoiser_options(), gen);
    Tensor x_t = Tensor::randn({1, 3, 16, 16}, gen).set_requires_grad(true);
    sum(model.forward(x_t, timesteps({50.0f}), one_hot({Category::vehicle}))).backward();
    const Tensor grad = x_t.grad();
    REQUIRE(grad.defined());
    double norm = 0.0;
    for (int64_t i = 0; i < grad.numel(); ++i) norm += grad.data()[i] * grad.data()[i];
    CAPTURE(norm);
    if (!(norm > 0.0)) FAIL("the gradient never reaches x_t: is x_t the UNet's input?");
}

TEST_CASE("Part 1 (hidden): forward leaves its inputs unchanged", "[hidden][part1]") {
    Generator gen(32);
    ImageDenoiser model(tiny_denoiser_options(), gen);
    const Tensor x_t = Tensor::randn({2, 3, 16, 16}, gen), t = timesteps({1.0f, 2.0f});
    const Tensor condition = one_hot({Category::animal, Category::vehicle});
    const Tensor x_copy = x_t.clone(), t_copy = t.clone(), c_copy = condition.clone();
    model.forward(x_t, t, condition);
    CHECK(max_difference(x_t, x_copy) == 0.0);
    CHECK(max_difference(t, t_copy) == 0.0);
    CHECK(max_difference(condition, c_copy) == 0.0);
}

TEST_CASE("Part 1 (hidden): forward gives the same numbers with autograd off", "[hidden][part1]") {
    Generator gen(33);
    ImageDenoiser model(tiny_denoiser_options(), gen);
    const Tensor x_t = Tensor::randn({2, 3, 16, 16}, gen), t = timesteps({400.0f, 7.0f});
    const Tensor condition = one_hot({Category::vehicle, Category::animal});
    const Tensor recorded = model.forward(x_t, t, condition);
    Tensor unrecorded;
    {
        NoGradGuard no_grad; // how the sampler calls it
        unrecorded = model.forward(x_t, t, condition);
    }
    CHECK(max_difference(recorded, unrecorded) <= 1e-6);
}
