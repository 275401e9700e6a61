// files.h — the command line's file writing: nn/files.h's one safe path, with its
// errors turned into the command line's one-line usage errors.
#pragma once

#include <string>

namespace hd::cli {

/// hd::write_file_atomic; a FileError becomes a UsageError with the same message.
void write_file_atomic(const std::string& path, const std::string& content);

/// hd::make_directory; a FileError becomes a UsageError with the same message.
void make_directory(const std::string& path);

}  // namespace hd::cli
