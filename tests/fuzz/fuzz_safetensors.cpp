// fuzz_safetensors.cpp — libFuzzer target over hd::parse_safetensors.
//
// Every input must either parse or raise CheckpointError; any other exception, crash,
// out-of-bounds access (ASan), undefined behaviour (UBSan) or leak is a finding.
// Build and run it with scripts/fuzz_checkpoints.sh; seeds come from make_seed_corpus.cpp.
// What it does not do: fuzz the file-system side (save/load), which the Catch2 tests cover.
#include "nn/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        hd::NamedTensors loaded = hd::parse_safetensors(bytes, "fuzz-input");
        // Touch every byte the loader claims to have copied, so a bad size shows up in ASan.
        volatile float sink = 0.0f;
        for (const auto& [name, tensor] : loaded.tensors)
            for (int64_t i = 0; i < tensor.numel(); ++i) sink = sink + tensor.data()[i];
    } catch (const hd::CheckpointError&) {
        // The expected outcome for a malformed file.
    }
    return 0;
}
