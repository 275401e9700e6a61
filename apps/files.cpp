// files.cpp — see files.h.
#include "apps/files.h"

#include "apps/commands.h"
#include "nn/files.h"

namespace hd::cli {

void make_directory(const std::string& path) {
    try {
        hd::make_directory(path);
    } catch (const FileError& e) {
        throw UsageError(e.what());
    }
}

void write_file_atomic(const std::string& path, const std::string& content) {
    try {
        hd::write_file_atomic(path, content);
    } catch (const FileError& e) {
        throw UsageError(e.what());
    }
}

}  // namespace hd::cli
