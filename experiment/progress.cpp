// progress.cpp — see progress.h.
#include "experiment/progress.h"

#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>

namespace hd {

std::string format_duration(double seconds) {
    if (!(seconds >= 0.0) || seconds > 1e7) return "?";
    auto s = static_cast<int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), terminal_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

double Progress::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t done, const std::string& detail) {
    if (start_done_ < 0) {
        start_done_ = done;
        start_ = std::chrono::steady_clock::now();
    }
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_print_).count();
    if (since < (terminal_ ? 0.2 : 15.0) || done >= total_) return; // the last state is finish()'s to print
    last_print_ = now;
    print(done, detail, false);
}

void Progress::finish(const std::string& detail) {
    print(total_, detail, true);
}

void Progress::print(int64_t done, const std::string& detail, bool final) {
    const double elapsed = elapsed_seconds();
    const int64_t counted = done - std::max<int64_t>(start_done_, 0);
    const double rate = elapsed > 0 ? counted / elapsed : 0.0;
    const double eta = rate > 0 ? (total_ - done) / rate : -1.0;
    constexpr int kWidth = 24;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * std::min<double>(1.0, double(done) / double(total_))) : kWidth;
    std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
    std::string line = fmt::format("{} [{}] {}/{} {} | {} elapsed{}", label_, bar, done, total_, detail,
                                   format_duration(elapsed), final ? "" : " | ETA " + format_duration(eta));
    if (terminal_) std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

SamplingProgress::SamplingProgress(std::string label, bool quiet) : label_(std::move(label)), quiet_(quiet) {}

SamplerProgress SamplingProgress::callback() {
    return [this](int64_t done, int64_t total) {
        if (quiet_) return;
        if (!bar_) bar_.emplace(label_, total);
        bar_->update(done, "denoising steps");
    };
}

void SamplingProgress::finish() {
    if (bar_) bar_->finish();
}

}  // namespace hd
