// summary.h — the mean and spread of every figure over several evaluation runs (seeds),
// per model and z2, as a Markdown table (`hd summarize`).
//
// One run is one draw: with 64 samples per z2 a share moves by several points between
// seeds, so the README's experiment table is this summary over several seeds.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace hd {

/// A metrics.json written by evaluate_model; UsageError naming the file when it is
/// missing, not JSON, or not an evaluation.
nlohmann::json read_metrics(const std::string& path);

/// The Markdown table over the metrics.json files at `paths`.
std::string summarize(const std::vector<std::string>& paths);

}  // namespace hd
