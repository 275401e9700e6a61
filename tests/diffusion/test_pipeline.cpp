// test_pipeline.cpp — the training losses of models A and B, and condition dropout.
#include "diffusion/pipeline.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace hd;

namespace {

// A noise predictor that predicts zeros and remembers every condition it was shown.
class RecordingPredictor : public NoisePredictor {
public:
    Tensor forward(const Tensor& x_t, const Tensor&, const Tensor& condition) override {
        conditions.push_back(condition.clone());
        return Tensor::zeros(x_t.shape());
    }
    std::vector<Tensor> conditions;
};

int64_t zero_rows(const Tensor& condition) {
    int64_t count = 0;
    const int64_t width = condition.size(1);
    for (int64_t b = 0; b < condition.size(0); ++b) {
        bool zero = true;
        for (int64_t d = 0; d < width; ++d) zero = zero && condition.data()[b * width + d] == 0.0f;
        count += zero;
    }
    return count;
}

}  // namespace

TEST_CASE("drop_condition zeroes about a share p of the rows, and p = 0 draws nothing", "[pipeline]") {
    Generator gen(3);
    const Tensor ones = Tensor::ones({4000, 2});
    const Tensor dropped = drop_condition(ones, 0.25f, gen);
    CHECK(zero_rows(dropped) == Approx(1000).margin(90)); // 3 standard deviations of a binomial(4000, 0.25)
    CHECK(zero_rows(ones) == 0); // the input is left as it was

    Generator untouched(3), reference(3);
    const Tensor same = drop_condition(ones, 0.0f, untouched);
    CHECK(zero_rows(same) == 0);
    CHECK(untouched.state() == reference.state());
}

TEST_CASE("model B's dropout hides the conditions but never the prior's target z1", "[pipeline]") {
    SyntheticDataset dataset(DatasetOptions{.image_size = 16});
    Generator gen(5);
    const SyntheticDataset::Batch batch = dataset.sample_batch(256, gen);
    const Tensor z1_before = batch.z1.clone();
    RecordingPredictor prior, decoder;
    const NoiseSchedule schedule = NoiseSchedule::by_name("linear", 1000);

    hierarchical_losses(prior, decoder, schedule, batch, gen, {}, ConditionDropout{.image = 0.5f, .prior = 0.0f});
    REQUIRE(prior.conditions.size() == 1);
    REQUIRE(decoder.conditions.size() == 1);
    CHECK(zero_rows(prior.conditions[0]) == 0);             // z2 kept
    CHECK(zero_rows(decoder.conditions[0]) == Approx(128).margin(30)); // z1 dropped for about half
    CHECK(batch.z1.to_vector() == z1_before.to_vector());   // the prior's target is untouched

    hierarchical_losses(prior, decoder, schedule, batch, gen, {}, ConditionDropout{.image = 0.0f, .prior = 0.5f});
    CHECK(zero_rows(prior.conditions[1]) == Approx(128).margin(30));
    CHECK(zero_rows(decoder.conditions[1]) == 0);
}

TEST_CASE("without dropout the losses draw the same random stream as before dropout existed", "[pipeline]") {
    SyntheticDataset dataset(DatasetOptions{.image_size = 16});
    Generator batch_gen(9);
    const SyntheticDataset::Batch batch = dataset.sample_batch(8, batch_gen);
    const NoiseSchedule schedule = NoiseSchedule::by_name("linear", 1000);
    RecordingPredictor prior, decoder, denoiser;

    // The losses without the dropout argument, and by hand: the prior's loss, then the decoder's.
    Generator with_default(11), by_hand(11);
    const HierarchicalLosses losses = hierarchical_losses(prior, decoder, schedule, batch, with_default);
    const Tensor prior_loss = diffusion_loss(prior, schedule, batch.z1, batch.z2_onehot, by_hand);
    const Tensor decoder_loss = diffusion_loss(decoder, schedule, batch.images, batch.z1, by_hand);
    CHECK(with_default.state() == by_hand.state());
    CHECK(losses.prior.item() == prior_loss.item());
    CHECK(losses.decoder.item() == decoder_loss.item());

    Generator flat_default(13), flat_by_hand(13);
    const Tensor image_loss = flat_losses(denoiser, schedule, batch, flat_default).image;
    CHECK(image_loss.item() == diffusion_loss(denoiser, schedule, batch.images, batch.z2_onehot, flat_by_hand).item());
    CHECK(flat_default.state() == flat_by_hand.state());
}
