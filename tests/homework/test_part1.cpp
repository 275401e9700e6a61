// test_part1.cpp — public tests of Part 1, ImageDenoiser::forward (homework/image_denoiser.cpp).
//
// Run them alone with   ./build/tests/hd_tests "[part1]"
//
// The model is tiny (16×16 images, UNet C = 8, E = 16) so the tests take a second. The
// expected output is built from the model's own members, exactly as the stub's comment
// describes: unet(x_t, time_embed(t) + condition_embed(condition)).
#include "tests/homework/part_support.h"

#include <set>

using namespace hd;
using namespace hd::part_test;

namespace {

/// A tiny denoiser and one batch of inputs for it, all from fixed seeds.
struct Fixture {
    Generator gen{101};
    ImageDenoiser model{tiny_denoiser_options(), gen};
    Tensor x_t = Tensor::randn({2, 3, 16, 16}, gen);
    Tensor t = timesteps({3.0f, 640.0f});
    Tensor condition = one_hot({Category::animal, Category::vehicle});
};

/// What a correct forward returns, from the model's own members.
Tensor reference_forward(ImageDenoiser& model, const Tensor& x_t, const Tensor& t, const Tensor& condition) {
    return model.unet->forward(x_t, model.time_embed->forward(t) + model.condition_embed->forward(condition));
}

/// The mistakes seen most often, as outputs to compare against.
std::vector<Candidate> common_mistakes(ImageDenoiser& model, const Tensor& x_t, const Tensor& t, const Tensor& c) {
    const Tensor time_emb = model.time_embed->forward(t), condition_emb = model.condition_embed->forward(c);
    return {
        {model.unet->forward(x_t, time_emb), "unet(x_t, time_embed(t)): the condition embedding is not used."},
        {model.unet->forward(x_t, condition_emb), "unet(x_t, condition_embed(c)): the time embedding is not used."},
        {model.unet->forward(x_t, time_emb * condition_emb),
         "unet(x_t, time_emb * condition_emb): combine the embeddings by ADDING them."},
        {model.unet->forward(x_t, time_emb - condition_emb),
         "unet(x_t, time_emb - condition_emb): combine the embeddings by ADDING them."},
        {x_t, "x_t itself: the UNet is never called."},
    };
}

}  // namespace

TEST_CASE("Part 1: the predicted noise has the shape of x_t", "[part1]") {
    Generator gen(7);
    ImageDenoiser model(tiny_denoiser_options(), gen);
    SECTION("a batch of two 16x16 images") {
        const Tensor x_t = Tensor::randn({2, 3, 16, 16}, gen);
        check_shape(model.forward(x_t, timesteps({0.0f, 999.0f}), one_hot({Category::animal, Category::vehicle})),
                    x_t.shape(), "x_t");
    }
    SECTION("a single 8x8 image") {
        const Tensor x_t = Tensor::randn({1, 3, 8, 8}, gen);
        check_shape(model.forward(x_t, timesteps({10.0f}), one_hot({Category::vehicle})), x_t.shape(), "x_t");
    }
}

TEST_CASE("Part 1: the denoiser returns unet(x_t, time_embed(t) + condition_embed(condition))", "[part1]") {
    Fixture f;
    const Tensor output = f.model.forward(f.x_t, f.t, f.condition);
    check_shape(output, f.x_t.shape(), "x_t");
    check_matches(output, reference_forward(f.model, f.x_t, f.t, f.condition),
                  "unet(x_t, time_embed(t) + condition_embed(condition))",
                  common_mistakes(f.model, f.x_t, f.t, f.condition));
}

TEST_CASE("Part 1: a z1 anchor works as the condition, as in model B's decoder", "[part1]") {
    Fixture f;
    const SyntheticDataset dataset(tiny_dataset_options());
    // Model B's decoder is conditioned on continuous z1 points, not one-hot vectors.
    const Tensor z1 = z1_points(dataset, {{Mode::cat, 1}, {Mode::truck, 1}});
    const Tensor output = f.model.forward(f.x_t, f.t, z1);
    check_shape(output, f.x_t.shape(), "x_t");
    check_matches(output, reference_forward(f.model, f.x_t, f.t, z1),
                  "unet(x_t, time_embed(t) + condition_embed(z1))", common_mistakes(f.model, f.x_t, f.t, z1));
}

TEST_CASE("Part 1: the gradient reaches every parameter of both embeddings and the UNet", "[part1]") {
    Fixture f;
    const Tensor output = f.model.forward(f.x_t, f.t, f.condition);
    check_shape(output, f.x_t.shape(), "x_t");
    // A weighted sum, so that no gradient cancels by symmetry.
    Generator weights_gen(5);
    sum(output * Tensor::randn(output.shape(), weights_gen)).backward();

    std::set<std::string> unreached;
    for (const auto& [name, parameter] : f.model.named_parameters()) {
        const Tensor grad = parameter.grad();
        bool nonzero = false;
        if (grad.defined())
            for (int64_t i = 0; i < grad.numel() && !nonzero; ++i) nonzero = grad.data()[i] != 0.0f;
        if (!nonzero) unreached.insert(name);
    }
    for (const std::string& name : unreached) {
        std::string why;
        if (name.rfind("condition_embed", 0) == 0) why = ": is the condition embedding used?";
        else if (name.rfind("time_embed", 0) == 0) why = ": is the time embedding used?";
        else if (name.rfind("unet", 0) == 0) why = ": is the output computed by unet->forward?";
        FAIL_CHECK(fmt::format("the gradient never reaches {}{}", name, why));
    }
}

TEST_CASE("Part 1: the output changes when only the timestep changes", "[part1]") {
    Fixture f;
    const Tensor early = f.model.forward(f.x_t, timesteps({5.0f, 5.0f}), f.condition);
    const Tensor late = f.model.forward(f.x_t, timesteps({900.0f, 900.0f}), f.condition);
    const double difference = max_difference(early, late);
    CAPTURE(difference);
    if (difference < 1e-6)
        FAIL("the output is the same at t = 5 and t = 900: the model must know how noisy x_t is — "
             "is time_embed(t) part of the embedding given to the UNet?");
}

TEST_CASE("Part 1: the output changes when only the condition changes", "[part1]") {
    Fixture f;
    const Tensor as_animal = f.model.forward(f.x_t, f.t, one_hot({Category::animal, Category::animal}));
    const Tensor as_vehicle = f.model.forward(f.x_t, f.t, one_hot({Category::vehicle, Category::vehicle}));
    const double difference = max_difference(as_animal, as_vehicle);
    CAPTURE(difference);
    if (difference < 1e-6)
        FAIL("the output is the same for z2 = animal and z2 = vehicle: is condition_embed(condition) part of "
             "the embedding given to the UNet?");
}

TEST_CASE("Part 1: each image's prediction depends only on its own x_t, t and condition", "[part1]") {
    Fixture f;
    const Tensor batched = f.model.forward(f.x_t, f.t, f.condition);
    const Tensor alone = f.model.forward(slice(f.x_t, 0, 1, 2), slice(f.t, 0, 1, 2), slice(f.condition, 0, 1, 2));
    const double difference = max_difference(slice(batched, 0, 1, 2), alone);
    CAPTURE(difference);
    if (!(difference <= 1e-5))
        FAIL("image 1 of a batch of two gets a different prediction than the same image on its own: "
             "does something mix the batch (a mean or sum over axis 0, a broadcast of the wrong shape)?");
}

TEST_CASE("Part 1: the predicted noise is finite, even for large inputs", "[part1]") {
    Fixture f;
    check_finite(f.model.forward(f.x_t * 50.0f, f.t, f.condition), "the output for x_t scaled by 50");
}
