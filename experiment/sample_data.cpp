// sample_data.cpp — see sample_data.h.
#include "experiment/sample_data.h"

#include "nn/safetensors.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace hd {

namespace {

const char* kModeNames = "dog,cat,car,truck";
const char* kClassNames = "dog,cat,car,truck,none";

// A label column (N) as whole numbers in F32.
Tensor label_tensor(const std::vector<float>& values) {
    return Tensor::from_vector(values, {static_cast<int64_t>(values.size())});
}

// The labels of a column read back: whole numbers in [0, classes).
std::vector<int> read_labels(const Tensor& column, int classes, const std::string& name, const std::string& path) {
    std::vector<int> labels;
    for (int64_t i = 0; i < column.numel(); ++i) {
        const float v = column.data()[i];
        if (!(v >= 0.0f && v < float(classes) && v == std::floor(v)))
            throw CheckpointError(fmt::format("{}: {}[{}] = {} is not a label (valid: 0 … {})", path, name, i, v, classes - 1));
        labels.push_back(static_cast<int>(v));
    }
    return labels;
}

}  // namespace

void write_sample_data(const std::string& path, const SampleData& d) {
    if (!d.images.defined() || d.images.dim() != 4 || d.images.size(1) != 3)
        throw std::invalid_argument("sample data: images must be (N, 3, S, S)");
    const int64_t n = d.images.size(0);
    if (static_cast<int64_t>(d.nearest_mode.size()) != n)
        throw std::invalid_argument(fmt::format("sample data: {} nearest modes for {} images", d.nearest_mode.size(), n));
    if (!d.verdicts.empty() && static_cast<int64_t>(d.verdicts.size()) != n)
        throw std::invalid_argument(fmt::format("sample data: {} verdicts for {} images", d.verdicts.size(), n));
    if (d.z1.defined() && d.z1.shape() != Shape{n, kAnchorDim})
        throw std::invalid_argument(fmt::format("sample data: z1 must be ({}, 2), got {}", n, shape_str(d.z1.shape())));

    std::vector<std::pair<std::string, Tensor>> tensors{{"images", d.images}};
    if (d.z1.defined()) tensors.emplace_back("z1", d.z1);
    std::vector<float> modes;
    for (Mode m : d.nearest_mode) modes.push_back(float(static_cast<int>(m)));
    tensors.emplace_back("nearest_mode", label_tensor(modes));
    if (!d.verdicts.empty()) {
        std::vector<float> labels, probabilities;
        for (const Verdict& v : d.verdicts) labels.push_back(float(v.label)), probabilities.push_back(v.probability);
        tensors.emplace_back("classifier_label", label_tensor(labels));
        tensors.emplace_back("classifier_probability", label_tensor(probabilities));
    }
    std::map<std::string, std::string> metadata = d.metadata;
    metadata["format"] = kSampleDataFormat;
    metadata["modes"] = kModeNames;
    metadata["classes"] = kClassNames;
    metadata["count"] = std::to_string(n);
    metadata["image_size"] = std::to_string(d.images.size(2));
    save_safetensors(path, tensors, metadata);
}

SampleData read_sample_data(const std::string& path) {
    const NamedTensors file = load_safetensors(path);
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() || format->second != kSampleDataFormat)
        throw CheckpointError(fmt::format("{}: not a samples file (its format is not {})", path, kSampleDataFormat));
    const Tensor* images = file.find("images");
    const Tensor* modes = file.find("nearest_mode");
    if (!images || images->dim() != 4 || images->size(1) != 3)
        throw CheckpointError(fmt::format("{}: no images (N, 3, S, S)", path));
    const int64_t n = images->size(0);
    auto check_column = [&](const Tensor* column, const std::string& name, const Shape& shape) {
        if (column && column->shape() != shape)
            throw CheckpointError(fmt::format("{}: {} is {}, expected {}", path, name, shape_str(column->shape()), shape_str(shape)));
    };
    if (!modes) throw CheckpointError(fmt::format("{}: no nearest_mode", path));
    check_column(modes, "nearest_mode", {n});

    SampleData d;
    d.images = *images;
    d.metadata = file.metadata;
    for (int label : read_labels(*modes, kNumModes, "nearest_mode", path)) d.nearest_mode.push_back(static_cast<Mode>(label));
    if (const Tensor* z1 = file.find("z1")) {
        check_column(z1, "z1", {n, kAnchorDim});
        d.z1 = *z1;
    }
    const Tensor* labels = file.find("classifier_label");
    const Tensor* probabilities = file.find("classifier_probability");
    if ((labels == nullptr) != (probabilities == nullptr))
        throw CheckpointError(fmt::format("{}: classifier_label and classifier_probability come together", path));
    if (labels) {
        check_column(labels, "classifier_label", {n});
        check_column(probabilities, "classifier_probability", {n});
        const std::vector<int> classes = read_labels(*labels, kClassifierClasses, "classifier_label", path);
        for (int64_t i = 0; i < n; ++i) d.verdicts.push_back({classes[i], probabilities->data()[i]});
    }
    return d;
}

std::string sample_data_path(const std::string& png_path) {
    return std::filesystem::path(png_path).replace_extension(".safetensors").string();
}

}  // namespace hd
