// mode_classifier.cpp — see mode_classifier.h.
#include "diffusion/mode_classifier.h"

#include "autograd/ops.h"
#include "nn/optim.h"
#include "nn/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

namespace hd {

namespace {

std::shared_ptr<Conv2d> conv3x3(int64_t cin, int64_t cout, int64_t stride, Generator& gen) {
    return std::make_shared<Conv2d>(
        Conv2dOptions{.in_channels = cin, .out_channels = cout, .kernel_size = 3, .stride = stride, .padding = 1}, gen);
}

// Held-out index ranges: training draws indices below 2^62 at random, so these fixed
// high ranges are (with overwhelming probability) never seen in training.
constexpr uint64_t kValidationBase = uint64_t{3} << 60;
constexpr uint64_t kNegativeValidationSeed = 0x76616c6964ULL;

}  // namespace

std::string class_name(int label) { return label == kNoneClass ? "none" : to_string(static_cast<Mode>(label)); }

ModeClassifier::ModeClassifier(int64_t size, int64_t c, Generator& gen) : image_size(size), channels(c) {
    const int64_t groups = std::min<int64_t>(4, c);
    conv_in = register_module("conv_in", conv3x3(3, c, 1, gen));
    norm1 = register_module("norm1", std::make_shared<GroupNorm>(groups, c));
    down1 = register_module("down1", conv3x3(c, 2 * c, 2, gen));
    norm2 = register_module("norm2", std::make_shared<GroupNorm>(groups, 2 * c));
    down2 = register_module("down2", conv3x3(2 * c, 4 * c, 2, gen));
    norm3 = register_module("norm3", std::make_shared<GroupNorm>(groups, 4 * c));
    down3 = register_module("down3", conv3x3(4 * c, 4 * c, 2, gen));
    norm_out = register_module("norm_out", std::make_shared<GroupNorm>(groups, 4 * c));
    head = register_module("head", std::make_shared<Linear>(4 * c, kClassifierClasses, gen));
}

// images: (N,3,S,S) -> logits (N,5)
Tensor ModeClassifier::forward(const Tensor& images) {
    Tensor h = conv_in->forward(images);                    // (N,C,S,S)
    h = down1->forward(silu(norm1->forward(h)));            // (N,2C,S/2,S/2)
    h = down2->forward(silu(norm2->forward(h)));            // (N,4C,S/4,S/4)
    h = down3->forward(silu(norm3->forward(h)));            // (N,4C,S/8,S/8)
    h = mean(silu(norm_out->forward(h)), {2, 3});           // (N,4C)
    return head->forward(h);                                // (N,5)
}

// ---- data: augmentation and negatives -------------------------------------------------

void augment_colours(Tensor& images, Generator& gen) {
    const int64_t n = images.size(0), plane = images.size(2) * images.size(3);
    float* data = images.data();
    for (int64_t b = 0; b < n; ++b) {
        float* image = data + b * 3 * plane;
        const float saturation = gen.uniform(0.5f, 1.5f); // 1 = unchanged, < 1 towards grey
        const float noise = gen.uniform(0.0f, 0.12f);
        float gain[3], offset[3];
        for (int c = 0; c < 3; ++c) gain[c] = gen.uniform(0.75f, 1.25f), offset[c] = gen.uniform(-0.25f, 0.25f);
        for (int64_t i = 0; i < plane; ++i) {
            const float grey = (image[i] + image[plane + i] + image[2 * plane + i]) / 3.0f;
            for (int c = 0; c < 3; ++c) {
                float& v = image[c * plane + i];
                v = grey + saturation * (v - grey);
                v = std::clamp(gain[c] * v + offset[c] + noise * gen.normal(), -1.0f, 1.0f);
            }
        }
    }
}

Tensor make_negatives(const SyntheticDataset& dataset, int64_t count, Generator& gen) {
    const int64_t size = dataset.image_size(), plane = size * size, numel = 3 * plane;
    Tensor out = Tensor::empty({count, 3, size, size});
    std::vector<float> a(numel), b(numel);
    for (int64_t k = 0; k < count; ++k) {
        float* dst = out.data() + k * numel;
        auto random_image = [&](float* into, int mode) {
            const uint64_t high = gen.next_u32(), low = gen.next_u32(); // two draws, in this order
            dataset.render_into(static_cast<Mode>(mode), ((high << 32) | low) >> 3, into); // < 2^61: a training index
        };
        switch (k % 4) {
            case 0: // the scene without its object
                dataset.render_background_into(gen.next_u32(), dst);
                break;
            case 1: { // smooth coloured noise: random blobs, no shape
                const int64_t cells = 4 + gen.integer(5), cell = (size + cells - 1) / cells;
                std::vector<float> coarse(3 * cells * cells);
                for (float& v : coarse) v = std::clamp(0.6f * gen.normal(), -1.0f, 1.0f);
                for (int c = 0; c < 3; ++c)
                    for (int64_t y = 0; y < size; ++y)
                        for (int64_t x = 0; x < size; ++x)
                            dst[c * plane + y * size + x] = coarse[(c * cells + y / cell) * cells + x / cell];
                break;
            }
            case 2: { // a see-through hybrid of two modes of different categories
                const int first = static_cast<int>(gen.integer(2)), second = 2 + static_cast<int>(gen.integer(2));
                random_image(a.data(), gen.integer(2) ? first : second);
                random_image(b.data(), gen.integer(2) ? second : first);
                for (int64_t i = 0; i < numel; ++i) dst[i] = 0.5f * (a[i] + b[i]);
                break;
            }
            default: { // a real image cut into 4×4 blocks and shuffled: colours right, shape gone
                random_image(a.data(), static_cast<int>(gen.integer(kNumModes)));
                const int64_t blocks = 4, block = size / blocks;
                std::vector<int64_t> order(blocks * blocks);
                std::iota(order.begin(), order.end(), 0);
                for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
                    std::swap(order[i], order[gen.integer(static_cast<uint32_t>(i + 1))]);
                for (int64_t to = 0; to < blocks * blocks; ++to) {
                    const int64_t from = order[to];
                    for (int c = 0; c < 3; ++c)
                        for (int64_t y = 0; y < block; ++y)
                            std::memcpy(dst + c * plane + ((to / blocks) * block + y) * size + (to % blocks) * block,
                                        a.data() + c * plane + ((from / blocks) * block + y) * size + (from % blocks) * block,
                                        sizeof(float) * block);
                }
            }
        }
    }
    return out;
}

void augment_sampling_artifacts(Tensor& images, Generator& gen) {
    const int64_t n = images.size(0), size = images.size(2), plane = size * size;
    std::vector<float> row(size), column(size);
    for (int64_t b = 0; b < n; ++b) {
        float* image = images.data() + b * 3 * plane;
        // Half the images are softened by a 3-tap blur [w, 1-2w, w] along x then y, w up
        // to 0.3 (a Gaussian of sigma up to about 0.8 px): samples lose edges first.
        if (gen.uniform(0.0f, 1.0f) < 0.5f) {
            const float w = gen.uniform(0.05f, 0.3f), centre = 1.0f - 2.0f * w;
            for (int c = 0; c < 3; ++c) {
                float* p = image + c * plane;
                for (int64_t y = 0; y < size; ++y) {
                    for (int64_t x = 0; x < size; ++x) row[x] = p[y * size + x];
                    for (int64_t x = 0; x < size; ++x)
                        p[y * size + x] = centre * row[x] + w * (row[std::max<int64_t>(x - 1, 0)] + row[std::min(x + 1, size - 1)]);
                }
                for (int64_t x = 0; x < size; ++x) {
                    for (int64_t y = 0; y < size; ++y) column[y] = p[y * size + x];
                    for (int64_t y = 0; y < size; ++y)
                        p[y * size + x] = centre * column[y] + w * (column[std::max<int64_t>(y - 1, 0)] + column[std::min(y + 1, size - 1)]);
                }
            }
        }
        // Speckle: per-pixel colour noise of a random strength, as a short sampling run leaves it.
        const float speckle = gen.uniform(0.0f, 0.2f);
        for (int64_t i = 0; i < 3 * plane; ++i) image[i] = std::clamp(image[i] + speckle * gen.normal(), -1.0f, 1.0f);
    }
}

// ---- training, validation, use --------------------------------------------------------

std::vector<Verdict> classify(ModeClassifier& classifier, const Tensor& images) {
    NoGradGuard no_grad;
    classifier.eval();
    std::vector<Verdict> verdicts;
    const int64_t n = images.size(0);
    for (int64_t start = 0; start < n; start += 256) {
        Tensor probabilities = softmax(classifier.forward(slice(images, 0, start, std::min(n, start + 256))), 1);
        for (int64_t i = 0; i < probabilities.size(0); ++i) {
            const float* p = probabilities.data() + i * kClassifierClasses;
            const int best = static_cast<int>(std::max_element(p, p + kClassifierClasses) - p);
            verdicts.push_back({best, p[best]});
        }
    }
    return verdicts;
}

ClassifierValidation validate_mode_classifier(ModeClassifier& classifier, const SyntheticDataset& dataset, int64_t per_mode) {
    const int64_t size = dataset.image_size(), numel = 3 * size * size;
    Tensor real = Tensor::empty({kNumModes * per_mode, 3, size, size});
    for (Mode mode : all_modes())
        for (int64_t i = 0; i < per_mode; ++i)
            dataset.render_into(mode, kValidationBase + i, real.data() + (static_cast<int64_t>(mode) * per_mode + i) * numel);
    Generator gen(kNegativeValidationSeed);
    Tensor negatives = make_negatives(dataset, kNumModes * per_mode, gen);

    ClassifierValidation v;
    std::vector<Verdict> on_real = classify(classifier, real), on_negatives = classify(classifier, negatives);
    for (size_t i = 0; i < on_real.size(); ++i) v.real_accuracy += on_real[i].label == static_cast<int>(i / per_mode);
    for (const Verdict& verdict : on_negatives) v.negative_rejection += verdict.label == kNoneClass;
    v.real_count = static_cast<int64_t>(on_real.size());
    v.negative_count = static_cast<int64_t>(on_negatives.size());
    v.real_accuracy /= double(v.real_count);
    v.negative_rejection /= double(v.negative_count);
    return v;
}

ClassifierValidation train_mode_classifier(ModeClassifier& classifier, const SyntheticDataset& dataset,
                                           const ClassifierOptions& o,
                                           const std::function<void(int64_t, int64_t, float)>& progress) {
    Generator gen(o.seed);
    Adam optimizer(classifier.parameters(), {.learning_rate = o.learning_rate});
    const auto negatives_per_batch = static_cast<int64_t>(std::lround(o.batch_size * o.negative_share));
    const int64_t positives_per_batch = o.batch_size - negatives_per_batch;
    classifier.train();
    for (int64_t step = 0; step < o.steps; ++step) {
        SyntheticDataset::Batch batch = dataset.sample_batch(positives_per_batch, gen);
        Tensor images = concat({batch.images, make_negatives(dataset, negatives_per_batch, gen)}, 0);
        augment_colours(images, gen);
        augment_sampling_artifacts(images, gen);
        Tensor targets = Tensor::zeros({o.batch_size, kClassifierClasses});
        for (int64_t i = 0; i < o.batch_size; ++i)
            targets.data()[i * kClassifierClasses + (i < positives_per_batch ? static_cast<int>(batch.modes[i]) : kNoneClass)] = 1.0f;
        // Cosine decay of the learning rate: the last steps settle the decision boundary.
        optimizer.set_learning_rate(o.learning_rate * 0.5f * (1.0f + std::cos(3.14159265f * float(step) / float(o.steps))));
        Tensor loss = cross_entropy(classifier.forward(images), targets);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (progress) progress(step + 1, o.steps, loss.item());
    }
    return validate_mode_classifier(classifier, dataset);
}

std::unique_ptr<ModeClassifier> load_or_train_mode_classifier(const std::string& path, const SyntheticDataset& dataset,
                                                              const ClassifierOptions& o, bool& trained,
                                                              const std::function<void(int64_t, int64_t, float)>& progress) {
    std::map<std::string, std::string> metadata{{"format", "hdiff-mode-classifier-2"},
                                                {"image_size", std::to_string(dataset.image_size())},
                                                {"dataset_seed", std::to_string(dataset.options().seed)},
                                                {"channels", std::to_string(o.channels)},
                                                {"steps", std::to_string(o.steps)},
                                                {"batch_size", std::to_string(o.batch_size)},
                                                {"seed", std::to_string(o.seed)}};
    Generator gen(o.seed);
    auto classifier = std::make_unique<ModeClassifier>(dataset.image_size(), o.channels, gen);
    trained = false;
    if (std::filesystem::exists(path)) {
        try {
            NamedTensors file = load_safetensors(path);
            bool same = true;
            for (const auto& [key, value] : metadata) same = same && file.metadata.count(key) && file.metadata.at(key) == value;
            if (same) {
                std::vector<std::pair<std::string, Shape>> expected;
                for (const auto& [name, tensor] : classifier->named_parameters()) expected.emplace_back(name, tensor.shape());
                check_tensor_set(file, expected, path);
                for (auto& [name, tensor] : classifier->named_parameters())
                    std::memcpy(tensor.data(), file.find(name)->data(), sizeof(float) * tensor.numel());
                return classifier;
            }
        } catch (const CheckpointError&) {
            // A damaged or outdated cache is simply rebuilt.
        }
    }
    ClassifierValidation v = train_mode_classifier(*classifier, dataset, o, progress);
    metadata["real_accuracy"] = fmt::format("{:.4f}", v.real_accuracy);
    metadata["negative_rejection"] = fmt::format("{:.4f}", v.negative_rejection);
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    save_safetensors(path, classifier->named_parameters(), metadata);
    trained = true;
    return classifier;
}

}  // namespace hd
