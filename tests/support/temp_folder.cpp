// temp_folder.cpp — see temp_folder.h.
#include "tests/support/temp_folder.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <unistd.h>

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

}  // namespace hd::test
