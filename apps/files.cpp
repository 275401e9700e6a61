// files.cpp — see files.h.
#include "apps/files.h"

#include "apps/commands.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace hd::cli {

void make_directory(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error || !std::filesystem::is_directory(path))
        throw UsageError(fmt::format("cannot create the folder {} ({})", path, error ? error.message() : "not a folder"));
}

void write_file_atomic(const std::string& path, const std::string& content) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) make_directory(parent.string());
    const std::string temporary = fmt::format("{}.tmp.{}", path, getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << content;
        out.flush();
        if (!out) {
            std::remove(temporary.c_str());
            throw UsageError(fmt::format("cannot write {} (is the folder writable?)", path));
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::remove(temporary.c_str());
        throw UsageError(fmt::format("cannot write {} (rename failed)", path));
    }
}

}  // namespace hd::cli
