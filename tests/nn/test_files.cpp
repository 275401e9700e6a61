// test_files.cpp — the one safe writer and the bounded reader (nn/files.h).
#include "nn/files.h"

#include "tests/support/temp_folder.h"

#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

using hd::test::read_bytes;
using TempDir = hd::test::TempFolder;

namespace {

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const hd::FileError& e) {
        return e.what();
    }
    FAIL("no FileError was thrown");
    return "";
}

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

}  // namespace

TEST_CASE("write_file_atomic writes a new file, creating its folders, and replaces an old one", "[files]") {
    TempDir dir;
    const std::string path = dir.file("a/b/result.txt");
    hd::write_file_atomic(path, "first");
    CHECK(read_bytes(path) == "first");
    hd::write_file_atomic(path, "second, longer");
    CHECK(read_bytes(path) == "second, longer");
    CHECK(fs::directory_iterator(dir.path / "a" / "b")->path().filename() == "result.txt"); // no temporary left
}

TEST_CASE("write_file_atomic refuses special files and folders and leaves them as they were", "[files]") {
    TempDir dir;
    SECTION("a FIFO") {
        const std::string fifo = dir.file("pipe");
        REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
        CHECK_THAT(error_of([&] { hd::write_file_atomic(fifo, "x"); }), Contains(fifo) && Contains("is a FIFO"));
        CHECK(fs::is_fifo(fifo));
    }
    SECTION("a folder") {
        const std::string folder = dir.file("folder");
        fs::create_directory(folder);
        CHECK_THAT(error_of([&] { hd::write_file_atomic(folder, "x"); }), Contains("is a folder, not a regular file"));
        CHECK(fs::is_directory(folder));
    }
    SECTION("a device") {
        CHECK_THAT(error_of([&] { hd::write_file_atomic("/dev/null", "x"); }), Contains("/dev/null") && Contains("is a device"));
        CHECK(fs::is_character_file("/dev/null"));
    }
    SECTION("a link to a regular file writes the file and keeps the link") {
        const std::string target = dir.file("target.txt"), link = dir.file("link.txt");
        hd::write_file_atomic(target, "old");
        fs::create_symlink(target, link);
        hd::write_file_atomic(link, "new");
        CHECK(fs::is_symlink(link));
        CHECK(read_bytes(target) == "new");
    }
    const std::vector<std::string> names = dir.listing();
    CHECK(std::none_of(names.begin(), names.end(),
                       [](const std::string& name) { return name.find(".tmp.") != std::string::npos; }));
}

TEST_CASE("a write that fails half-way leaves the old file untouched and no temporary", "[files]") {
    TempDir dir;
    const std::string path = dir.file("model.bin");
    hd::write_file_atomic(path, "the good old content");

    const std::string message = hd::test::error_with_file_size_limit(4096, [&] { hd::write_file_atomic(path, std::string(100000, 'x')); });
    CAPTURE(message);
    CHECK_THAT(message, Contains(path) && Contains("File too large") && Contains("unchanged"));
    CHECK(read_bytes(path) == "the good old content");
    CHECK(dir.listing() == std::vector<std::string>{"model.bin"});
}

TEST_CASE("a full disk is reported as a full disk and keeps the old file", "[files]") {
    TempDir dir;
    // A 64 KiB tmpfs stands in for a full disk; mounting one needs root.
    struct Unmount {
        std::filesystem::path path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); } // before the folder is removed
    } unmount{dir.path};
    if (::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") != 0) {
        WARN("cannot mount a tmpfs here (not root?): the full-disk case is not tested");
        return;
    }
    const std::string path = dir.file("grid.png");
    hd::write_file_atomic(path, std::string(20000, 'a'));
    const std::string message = error_of([&] { hd::write_file_atomic(path, std::string(200000, 'b')); });
    CHECK_THAT(message, Contains(path) && Contains("disk full"));
    CHECK(read_bytes(path) == std::string(20000, 'a'));
    CHECK(dir.listing() == std::vector<std::string>{"grid.png"});
}

TEST_CASE("remove_stale_temporaries removes what dead writers left and keeps live ones", "[files]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    const pid_t dead = dead_pid();
    const std::string stale = path + ".tmp." + std::to_string(dead) + ".0";
    const std::string stale_old_style = path + ".tmp." + std::to_string(dead);
    const std::string live = path + ".tmp." + std::to_string(::getpid()) + ".3";
    const std::string other = dir.file("other.safetensors.tmp." + std::to_string(dead) + ".0");
    const std::string not_ours = path + ".tmp.notes";
    for (const std::string& name : {stale, stale_old_style, live, other, not_ours}) hd::write_file_atomic(name, "x");
    // write_file_atomic's own temporaries are gone: exactly the five files named above.
    REQUIRE(dir.listing().size() == 5);

    CHECK(hd::remove_stale_temporaries(path) == 2);
    CHECK_FALSE(fs::exists(stale));
    CHECK_FALSE(fs::exists(stale_old_style));
    CHECK(fs::exists(live));
    CHECK(fs::exists(other));    // another file's temporaries are not this call's business
    CHECK(fs::exists(not_ours)); // not "<pid>" or "<pid>.<n>"
}

TEST_CASE("read_file_bounded reads regular files only, up to a size", "[files]") {
    TempDir dir;
    const std::string path = dir.file("data.bin");
    hd::write_file_atomic(path, "0123456789");
    CHECK(hd::read_file_bounded(path, 10) == "0123456789");
    CHECK_THAT(error_of([&] { hd::read_file_bounded(path, 9); }), Contains("10 bytes, more than the 9"));
    CHECK_THAT(error_of([&] { hd::read_file_bounded(dir.file("missing"), 10); }), Contains("No such file"));
    CHECK_THAT(error_of([&] { hd::read_file_bounded("/dev/zero", 1 << 20); }), Contains("not a regular file"));
    CHECK_THAT(error_of([&] { hd::read_file_bounded(dir.path.string(), 1 << 20); }), Contains("not a regular file"));
    const std::string fifo = dir.file("pipe");
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    // Opening a FIFO for reading would wait for a writer forever; it must be refused at once.
    CHECK_THAT(error_of([&] { hd::read_file_bounded(fifo, 1 << 20); }), Contains("not a regular file"));
}
