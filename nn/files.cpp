// files.cpp — see files.h.
#include "nn/files.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hd {

namespace fs = std::filesystem;

namespace {

// Temporary files are "<name>.tmp.<pid>.<n>" beside the target: the pid says whose they
// are (remove_stale_temporaries), the per-process counter keeps threads apart.
constexpr std::string_view kTemporaryInfix = ".tmp.";

std::string temporary_name(const std::string& path) {
    static std::atomic<uint64_t> counter{0};
    return fmt::format("{}{}{}.{}", path, kTemporaryInfix, ::getpid(), counter++);
}

// Writes all of `bytes` to `fd`; returns 0 or the errno of the failing write.
int write_all(int fd, std::string_view bytes) {
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        written += size_t(n);
    }
    return 0;
}

// The file a write to `path` must replace: `path` itself, or what a symbolic link at
// `path` points to (so the link stays a link). Throws when that exists and is not a
// regular file.
std::string target_of(const std::string& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return path; // a new file
    std::string target = path;
    if (S_ISLNK(info.st_mode)) {
        std::error_code error;
        const fs::path resolved = fs::weakly_canonical(path, error);
        if (error) throw FileError(fmt::format("cannot write {}: cannot follow the link ({})", path, error.message()));
        target = resolved.string();
        if (::stat(target.c_str(), &info) != 0) return target; // a dangling link: write its target
    }
    if (!S_ISREG(info.st_mode)) {
        const char* kind = S_ISDIR(info.st_mode)                              ? "a folder"
                           : S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode) ? "a device"
                           : S_ISFIFO(info.st_mode)                           ? "a FIFO"
                           : S_ISSOCK(info.st_mode)                           ? "a socket"
                                                                              : "not a regular file";
        throw FileError(fmt::format("refusing to write {}: it is {}, not a regular file (choose another path)", path, kind));
    }
    return target;
}

}  // namespace

std::string describe_file_error(int error) {
    if (error == ENOSPC || error == EDQUOT) return fmt::format("disk full ({})", std::strerror(error));
    return std::strerror(error);
}

void make_directory(const std::string& path) {
    if (path.empty()) return;
    std::error_code error;
    fs::create_directories(path, error);
    if (error || !fs::is_directory(path))
        throw FileError(fmt::format("cannot create the folder {} ({})", path, error ? error.message() : "a file of that name is in the way"));
}

void check_writable_path(const std::string& path) { target_of(path); }

void write_file_atomic(const std::string& path, std::string_view bytes) {
    if (path.empty()) throw FileError("cannot write a file with an empty path");
    const std::string target = target_of(path);
    const std::string folder = fs::path(target).parent_path().string();
    make_directory(folder);

    const std::string temporary = temporary_name(target);
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw FileError(fmt::format("cannot write {}: {}", path, describe_file_error(errno)));
    // Every step is checked: a full disk shows at write(), at fsync() or only at close().
    auto abandon = [&](int error) {
        if (fd >= 0) ::close(fd);
        ::unlink(temporary.c_str());
        throw FileError(fmt::format("cannot write {}: {}; the old file, if any, is unchanged", path,
                                    describe_file_error(error)));
    };
    if (const int error = write_all(fd, bytes)) abandon(error);
    if (::fsync(fd) != 0) abandon(errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) abandon(errno);
    if (::rename(temporary.c_str(), target.c_str()) != 0) abandon(errno);

    // Make the rename itself durable. Best effort: the file is whole either way.
    const int folder_fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder_fd >= 0) {
        ::fsync(folder_fd);
        ::close(folder_fd);
    }
}

int remove_stale_temporaries(const std::string& path) {
    const fs::path target(path);
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    const std::string prefix = target.filename().string() + std::string(kTemporaryInfix);
    std::error_code error;
    int removed = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || !entry.is_regular_file(error)) continue;
        // "<pid>.<n>" (or "<pid>" as older versions wrote) after the prefix.
        const char* digits = name.c_str() + prefix.size();
        const char* end = name.c_str() + name.size();
        pid_t pid = 0;
        const auto [after_pid, parse_error] = std::from_chars(digits, end, pid);
        if (parse_error != std::errc() || pid <= 0) continue;
        if (after_pid != end) {
            if (*after_pid != '.') continue;
            uint64_t counter = 0;
            const auto [after_counter, counter_error] = std::from_chars(after_pid + 1, end, counter);
            if (counter_error != std::errc() || after_counter != end) continue;
        }
        const bool alive = ::kill(pid, 0) == 0 || errno == EPERM;
        if (!alive && fs::remove(entry.path(), error)) ++removed;
    }
    return removed;
}

std::string read_file_bounded(const std::string& path, size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check follows.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw FileError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    struct stat info {};
    auto fail = [&](const std::string& why) {
        ::close(fd);
        throw FileError(fmt::format("cannot read {}: {}", path, why));
    };
    if (::fstat(fd, &info) != 0) fail(std::strerror(errno));
    if (!S_ISREG(info.st_mode)) fail("it is not a regular file (a folder, device or FIFO)");
    if (size_t(info.st_size) > max_bytes)
        fail(fmt::format("it holds {} bytes, more than the {} this reader accepts", info.st_size, max_bytes));
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    std::string bytes(size_t(info.st_size), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(std::strerror(errno));
        if (n == 0) break; // the file shrank while we read it
        done += size_t(n);
    }
    bytes.resize(done);
    ::close(fd);
    return bytes;
}

}  // namespace hd
