// make_seed_corpus.cpp — writes valid checkpoints from our own saver into a directory,
// as the starting corpus for fuzz_safetensors.cpp. Usage: make_seed_corpus DIR
// What it does not do: write invalid files (the fuzzer derives those from these seeds).
#include "nn/safetensors.h"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    using hd::Tensor;
    const std::string dir = argv[1];
    std::vector<float> ramp(24);
    for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = 0.5f * float(i) - 3.0f;

    // Small files on purpose: the fuzzer mutates every byte, and the header is what matters.
    hd::save_safetensors(dir + "/empty.safetensors", {});
    hd::save_safetensors(dir + "/metadata_only.safetensors", {},
                         {{"model", "flat"}, {"note", "chien → chat"}});
    hd::save_safetensors(dir + "/scalar.safetensors", {{"step", Tensor::scalar(7.0f)}});
    hd::save_safetensors(dir + "/empty_tensor.safetensors",
                         {{"unused", Tensor::empty({0, 3})}, {"w", Tensor::ones({1})}});
    hd::save_safetensors(dir + "/layer.safetensors",
                         {{"layer.weight", Tensor::from_vector(ramp, {2, 3, 4})},
                          {"layer.bias", Tensor::from_vector({1.0f, -2.0f}, {2})}},
                         {{"epoch", "3"}, {"kind", "hierarchical"}});
    hd::save_safetensors(dir + "/many.safetensors",
                         {{"a", Tensor::zeros({1})}, {"b", Tensor::zeros({2})},
                          {"c", Tensor::zeros({1, 1, 1, 1})}, {"d", Tensor::zeros({3, 0})},
                          {"e.f.g", Tensor::full({2, 2}, 2.5f)}},
                         {{"dataset_seed", "1234"}});
    return 0;
}
