// temp_folder.cpp — see temp_folder.h.
#include "tests/support/temp_folder.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <exception>

namespace hd::test {

TempFolder::TempFolder() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("hd_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
}

TempFolder::~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

std::vector<std::string> TempFolder::listing() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string error_with_file_size_limit(size_t max_bytes, const std::function<void()>& action) {
    struct rlimit old_limit {};
    if (::getrlimit(RLIMIT_FSIZE, &old_limit) != 0) return "getrlimit failed";
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = max_bytes;
    std::string message;
    if (::setrlimit(RLIMIT_FSIZE, &small) != 0) {
        message = "setrlimit failed";
    } else {
        try {
            action();
        } catch (const std::exception& e) {
            message = e.what();
        }
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    return message;
}

}  // namespace hd::test
