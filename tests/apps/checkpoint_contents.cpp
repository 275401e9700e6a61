#include "tests/apps/checkpoint_contents.h"

#include "nn/safetensors.h"

#include <catch2/catch.hpp>

namespace hd_test {

std::string checkpoint_without_clock(const std::filesystem::path& path) {
    hd::NamedTensors file = hd::load_safetensors(path.string());
    CHECK(file.metadata.erase("training_seconds") == 1);
    std::string all;
    for (const auto& [key, value] : file.metadata) all += key + "=" + value + "\n";
    for (const auto& [name, tensor] : file.tensors) {
        all += name + ":";
        all.append(reinterpret_cast<const char*>(tensor.data()), sizeof(float) * tensor.numel());
    }
    return all;
}

} // namespace hd_test
