// temp_folder.h — what file tests share: a fresh folder per test case, reading a file
// back whole, and a write that fails half-way.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace hd::test {

/// A new empty folder under the system's temporary folder, removed (with everything in
/// it) when the object goes out of scope. Unique per process and per object.
struct TempFolder {
    std::filesystem::path path;
    TempFolder();
    ~TempFolder();
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;

    /// The path of `name` inside the folder.
    std::string file(const std::string& name) const { return (path / name).string(); }
    /// The names of everything directly in the folder, sorted (to spot leftover files).
    std::vector<std::string> listing() const;
};

/// The bytes of the file at `path` ("" if it cannot be read).
std::string read_bytes(const std::string& path);

/// Runs `action` with the process's file-size limit lowered to `max_bytes` (SIGXFSZ
/// ignored meanwhile), so a larger write fails half-way with EFBIG; returns the message
/// of the exception it threw ("" if none). The limit is restored afterwards.
std::string error_with_file_size_limit(size_t max_bytes, const std::function<void()>& action);

}  // namespace hd::test
