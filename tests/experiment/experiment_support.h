// experiment_support.h — what the experiment tests share: the tiny training settings and
// the check for a student build with the Parts still stubbed (TempFolder: tests/support).
#pragma once

#include "experiment/trainer.h"
#include "tests/support/temp_folder.h"

#include <filesystem>
#include <string>

namespace hd::test {

// A model and budget that train in well under a second: 2 steps per epoch.
TrainOptions tiny_training(ModelKind kind, const std::string& output, int64_t epochs);

// The untrained checkpoint of a tiny model (a.safetensors or b.safetensors in `dir`):
// sampling needs only its shapes and Parts 1–2.
std::string tiny_checkpoint(const TempFolder& dir, ModelKind kind);

// True in a student build whose Parts 1–5 still throw NotImplemented (the tests that need
// them then only warn).
bool homework_is_stubbed();

}  // namespace hd::test
