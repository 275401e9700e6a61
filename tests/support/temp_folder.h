// temp_folder.h — a fresh folder per test case, and reading a file back whole.
#pragma once

#include <filesystem>
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

}  // namespace hd::test
