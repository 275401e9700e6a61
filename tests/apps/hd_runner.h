// hd_runner.h — what the command-line tests share: running the real `hd` binary in a
// folder of its own, under a time limit, and reading what it printed.
//
// Each test runs `hd` as a user does, in a fresh temporary folder. A run that hangs is
// killed after a time limit and reported as such, so a FIFO that blocks a read fails the
// test instead of stalling the suite.
#pragma once

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace hd_test {

namespace fs = std::filesystem;

struct Run {
    int exit_code = -1;     // hd's own exit code; -1 when it did not exit normally
    bool timed_out = false; // killed at the time limit (it hung)
    int signal = 0;         // the signal that ended hd (a crash), or 0
    std::string output;     // stdout and stderr together
};

// Runs `hd <arguments>` in `folder`, killing it after `seconds`; with `memory_mib`, its
// address space is limited to that many MiB (an allocation beyond fails).
inline Run hd(const std::string& arguments, const fs::path& folder, int seconds = 120, int memory_mib = 0) {
    // timeout(1) exits 124 when it killed the command, 128 + n when the command died of
    // signal n; hd itself exits 0 … 3.
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of shadow memory, so an address-space limit stops
    // it from starting at all; its allocator enforces the same limit instead.
    const std::string limit =
        memory_mib > 0 ? fmt::format("export ASAN_OPTIONS=\"${{ASAN_OPTIONS:-}}:max_allocation_size_mb={}:"
                                     "allocator_may_return_null=1\" && ", memory_mib)
                       : "";
#else
    const std::string limit = memory_mib > 0 ? fmt::format("ulimit -v {} && ", int64_t{memory_mib} * 1024) : "";
#endif
    const std::string command = fmt::format("cd '{}' && {}timeout -k 5 {} '{}' {} 2>&1", folder.string(), limit, seconds,
                                            HD_BINARY, arguments);
    Run run;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buffer{};
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) run.output.append(buffer.data(), n);
    const int status = pclose(pipe);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 124 || code == 137) {
        run.timed_out = true;
    } else if (code > 128) {
        run.signal = code - 128;
    } else {
        run.exit_code = code;
    }
    return run;
}

// A fresh folder per test, removed afterwards.
struct TempFolder {
    fs::path path;
    TempFolder() {
        path = fs::temp_directory_path() / fmt::format("hd_cli_test_{}_{}", getpid(), counter()++);
        fs::create_directories(path);
    }
    ~TempFolder() {
        std::error_code error;
        fs::remove_all(path, error);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    static int& counter() {
        static int n = 0;
        return n;
    }
};

// The whole content of a file hd wrote ("" when it is missing).
inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline int line_count(const std::string& text) {
    int lines = 0;
    for (char c : text) lines += c == '\n';
    return lines + (!text.empty() && text.back() != '\n');
}

// Bad input: exit code `code`, and one line that contains `message`.
inline void check_one_line_error(const Run& run, int code, const std::string& message) {
    CHECK(run.exit_code == code);
    CHECK_THAT(run.output, Catch::Contains(message));
    CHECK(line_count(run.output) == 1);
}

// A checkpoint-sized model that trains in well under a second.
inline const std::string kTiny =
    "--image_size 16 --base_channels 8 --embedding_dim 16 --timesteps 50 --epoch_size 32 --batch_size 16 --quiet";

// True when `run` is the stubbed-Part outcome of a student build (and checks it is well-formed):
// in a build with a homework Part still stubbed, `hd` stops at once with exit code 3.
inline bool stopped_at_stub(const Run& run) {
    if (run.exit_code != 3) return false;
    CHECK_THAT(run.output, Catch::Contains("not implemented yet: Part"));
    CHECK_THAT(run.output, Catch::Contains("homework/"));
    return true;
}

}  // namespace hd_test
