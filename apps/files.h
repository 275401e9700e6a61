// files.h — writing result files so that a failure never leaves half a file behind.
#pragma once

#include <string>

namespace hd::cli {

/// Writes `content` to `path` through a temporary file and a rename; creates the parent
/// folder. Throws UsageError naming the path when it cannot be written.
void write_file_atomic(const std::string& path, const std::string& content);

/// Creates a folder (and its parents); throws UsageError naming it when that fails.
void make_directory(const std::string& path);

}  // namespace hd::cli
