// progress.h — a one-line progress display for long work (training, sampling).
//
// On a terminal it redraws one line in place at most 5 times a second; when stderr is a
// file or a pipe (CI, logs) it prints a plain line every 15 seconds instead, so logs stay
// readable.
#pragma once

#include "diffusion/sampler.h"

#include <chrono>
#include <optional>
#include <string>

namespace hd {

class Progress {
public:
    /// `label` starts the line, e.g. "train flat".
    Progress(std::string label, int64_t total);
    /// Reports `done` of `total`, with a caller-made detail such as "loss 0.071".
    void update(int64_t done, const std::string& detail = "");
    /// Ends the line (the last state stays visible).
    void finish(const std::string& detail = "");
    double elapsed_seconds() const;

private:
    void print(int64_t done, const std::string& detail, bool final);

    std::string label_;
    int64_t total_;
    int64_t start_done_ = -1; // the first reported count: rates and ETA count from there (resume)
    bool terminal_;
    std::chrono::steady_clock::time_point start_, last_print_;
};

/// The progress line of a sampling run: a SamplerProgress callback that makes its
/// Progress at the first report, when the number of denoising steps is known.
class SamplingProgress {
public:
    /// `quiet`: the callback does nothing.
    explicit SamplingProgress(std::string label, bool quiet = false);
    /// The callback to pass to the sampler; valid while this object lives.
    SamplerProgress callback();
    /// Ends the line if one was started.
    void finish();

private:
    std::string label_;
    bool quiet_;
    std::optional<Progress> bar_;
};

/// "1h02m", "3m07s", "12s".
std::string format_duration(double seconds);

}  // namespace hd
