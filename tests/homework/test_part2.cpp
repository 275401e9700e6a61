// test_part2.cpp — public tests of Part 2, LatentPrior::forward (homework/latent_prior.cpp).
//
// Run them alone with   ./build/tests/hd_tests "[part2]"
// (the last one, tagged [learning], trains a small prior for about two seconds; skip it with
//  ./build/tests/hd_tests "[part2]~[learning]").
//
// The expected output is built from the model's own members, exactly as the stub's
// comment describes: mlp(concat({z1_t, time_embed(t), condition_embed(condition)}, 1)).
#include "tests/homework/part_support.h"

using namespace hd;
using namespace hd::part_test;

namespace {

/// A tiny prior and one batch of inputs for it, all from fixed seeds.
struct Fixture {
    Generator gen{202};
    LatentPrior model{tiny_prior_options(), gen};
    Tensor z1_t = Tensor::randn({3, 2}, gen);
    Tensor t = timesteps({0.0f, 250.0f, 999.0f});
    Tensor condition = one_hot({Category::animal, Category::vehicle, Category::animal});
};

Tensor reference_forward(LatentPrior& model, const Tensor& z1_t, const Tensor& t, const Tensor& condition) {
    return model.mlp->forward(concat({z1_t, model.time_embed->forward(t), model.condition_embed->forward(condition)}, 1));
}

/// The mistakes seen most often, as outputs to compare against.
std::vector<Candidate> common_mistakes(LatentPrior& model, const Tensor& z1_t, const Tensor& t, const Tensor& c) {
    const Tensor time_emb = model.time_embed->forward(t), condition_emb = model.condition_embed->forward(c);
    const std::string order = " — the MLP's first layer expects (z1_t, time_emb, condition_emb) in this order.";
    // condition_embed of the condition scaled to unit length per row (a normalisation
    // the stub does not ask for); with one-hot rows it changes nothing.
    const Tensor normalised = model.condition_embed->forward(c / sqrt(sum(c * c, {1}, true)));
    return {
        {model.mlp->forward(concat({time_emb, condition_emb, z1_t}, 1)), "mlp(concat(time_emb, condition_emb, z1_t))" + order},
        {model.mlp->forward(concat({time_emb, z1_t, condition_emb}, 1)), "mlp(concat(time_emb, z1_t, condition_emb))" + order},
        {model.mlp->forward(concat({z1_t, condition_emb, time_emb}, 1)), "mlp(concat(z1_t, condition_emb, time_emb))" + order},
        {model.mlp->forward(concat({condition_emb, time_emb, z1_t}, 1)), "mlp(concat(condition_emb, time_emb, z1_t))" + order},
        {model.mlp->forward(concat({condition_emb, z1_t, time_emb}, 1)), "mlp(concat(condition_emb, z1_t, time_emb))" + order},
        {model.mlp->forward(concat({z1_t, time_emb, normalised}, 1)),
         "a condition normalised to unit length: pass the condition to condition_embed as it is."},
        {model.mlp->forward(concat({z1_t, time_emb, time_emb}, 1)), "an input without condition_embed(condition)."},
        {model.mlp->forward(concat({z1_t, condition_emb, condition_emb}, 1)), "an input without time_embed(t)."},
        {z1_t, "z1_t itself: the MLP is never called."},
    };
}

}  // namespace

TEST_CASE("Part 2: the predicted noise has the shape of z1_t", "[part2]") {
    Generator gen(8);
    LatentPrior model(tiny_prior_options(), gen);
    SECTION("a batch of five points") {
        const Tensor z1_t = Tensor::randn({5, 2}, gen);
        check_shape(model.forward(z1_t, timesteps({0, 1, 2, 3, 4}),
                                  one_hot({Category::animal, Category::vehicle, Category::animal, Category::vehicle,
                                           Category::animal})),
                    z1_t.shape(), "z1_t");
    }
    SECTION("a single point") {
        const Tensor z1_t = Tensor::randn({1, 2}, gen);
        check_shape(model.forward(z1_t, timesteps({500}), one_hot({Category::vehicle})), z1_t.shape(), "z1_t");
    }
}

TEST_CASE("Part 2: the prior returns mlp(concat(z1_t, time_embed(t), condition_embed(condition)))", "[part2]") {
    Fixture f;
    const Tensor output = f.model.forward(f.z1_t, f.t, f.condition);
    check_shape(output, f.z1_t.shape(), "z1_t");
    check_matches(output, reference_forward(f.model, f.z1_t, f.t, f.condition),
                  "mlp(concat({z1_t, time_embed(t), condition_embed(condition)}, 1))",
                  common_mistakes(f.model, f.z1_t, f.t, f.condition));
}

TEST_CASE("Part 2: a condition that is not one-hot goes into condition_embed as it is", "[part2]") {
    Fixture f;
    // Rows of every length and sign: condition_embed is a Linear layer and must see the
    // condition unchanged, whatever it holds.
    const Tensor condition = Tensor::from_vector({0.3f, 1.7f, -0.6f, 0.2f, 2.0f, 2.0f}, {3, 2});
    const Tensor output = f.model.forward(f.z1_t, f.t, condition);
    check_shape(output, f.z1_t.shape(), "z1_t");
    check_matches(output, reference_forward(f.model, f.z1_t, f.t, condition),
                  "mlp(concat({z1_t, time_embed(t), condition_embed(condition)}, 1))",
                  common_mistakes(f.model, f.z1_t, f.t, condition));
}

TEST_CASE("Part 2: the gradient reaches z1_t and every parameter of both embeddings and the MLP", "[part2]") {
    Fixture f;
    Tensor z1_t = f.z1_t.clone().set_requires_grad(true);
    const Tensor output = f.model.forward(z1_t, f.t, f.condition);
    check_shape(output, f.z1_t.shape(), "z1_t");
    Generator weights_gen(6);
    sum(output * Tensor::randn(output.shape(), weights_gen)).backward();

    auto reached = [](const Tensor& tensor) {
        const Tensor grad = tensor.grad();
        if (!grad.defined()) return false;
        for (int64_t i = 0; i < grad.numel(); ++i)
            if (grad.data()[i] != 0.0f) return true;
        return false;
    };
    if (!reached(z1_t))
        FAIL_CHECK("the gradient never reaches z1_t: is the noisy point itself part of the MLP's input?");
    for (const auto& [name, parameter] : f.model.named_parameters()) {
        if (reached(parameter)) continue;
        std::string why;
        if (name.rfind("condition_embed", 0) == 0) why = ": is condition_embed(condition) in the concatenation?";
        else if (name.rfind("time_embed", 0) == 0) why = ": is time_embed(t) in the concatenation?";
        else why = ": is the output computed by mlp->forward?";
        FAIL_CHECK(fmt::format("the gradient never reaches {}{}", name, why));
    }
}

TEST_CASE("Part 2: the output changes with the timestep, the condition and z1_t", "[part2]") {
    Fixture f;
    const Tensor base = f.model.forward(f.z1_t, f.t, f.condition);
    SECTION("only t changes") {
        const double difference = max_difference(base, f.model.forward(f.z1_t, f.t + 100.0f, f.condition));
        CAPTURE(difference);
        if (difference < 1e-6) FAIL("the output does not depend on t: is time_embed(t) in the concatenation?");
    }
    SECTION("only the condition changes") {
        const Tensor flipped = one_hot({Category::vehicle, Category::animal, Category::vehicle});
        const double difference = max_difference(base, f.model.forward(f.z1_t, f.t, flipped));
        CAPTURE(difference);
        if (difference < 1e-6)
            FAIL("the output does not depend on the condition: is condition_embed(condition) in the concatenation?");
    }
    SECTION("only z1_t changes") {
        const double difference = max_difference(base, f.model.forward(f.z1_t * 2.0f, f.t, f.condition));
        CAPTURE(difference);
        if (difference < 1e-6) FAIL("the output does not depend on z1_t: is z1_t the first block of the concatenation?");
    }
}

TEST_CASE("Part 2: each point's prediction depends only on its own z1_t, t and condition", "[part2]") {
    Fixture f;
    const Tensor batched = f.model.forward(f.z1_t, f.t, f.condition);
    const Tensor alone = f.model.forward(slice(f.z1_t, 0, 2, 3), slice(f.t, 0, 2, 3), slice(f.condition, 0, 2, 3));
    const double difference = max_difference(slice(batched, 0, 2, 3), alone);
    CAPTURE(difference);
    if (!(difference <= 1e-5))
        FAIL("point 2 of a batch gets a different prediction than the same point on its own: does something mix "
             "the batch (concatenating along axis 0 instead of 1, a mean over the batch)?");
}

TEST_CASE("Part 2: the predicted noise is finite, even far from the anchors", "[part2]") {
    Fixture f;
    check_finite(f.model.forward(f.z1_t * 100.0f, f.t, f.condition), "the output for z1_t scaled by 100");
}

// Trains the real thing: if forward is right, a small prior learns p(z1 | z2) from the
// dataset's anchors. It prints the sampled frequencies either way.
TEST_CASE("Part 2: a trained prior samples dog/cat and car/truck as often as the data does", "[part2][learning]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    check_learned_prior(dataset, /*seed=*/2024);
}
