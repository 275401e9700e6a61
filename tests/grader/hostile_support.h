// hostile_support.h — builds a hostile submission from the reference solutions and grades
// it with the real `hd grade` (HD_BINARY), as a user would run it.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hd::grade_test {

namespace fs = std::filesystem;

inline std::string source_dir() { return HD_SOURCE_DIR; }
inline std::string hidden_tests() { return source_dir() + "/tests/hidden"; }
inline bool running_as_root() { return geteuid() == 0; }

inline std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void write_all(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

/// One change to the reference solutions.
struct Change {
    enum class Kind { append, wrap, remove } kind;
    std::string file, function, text;
};

inline Change append(const std::string& file, const std::string& text) { return {Change::Kind::append, file, "", text}; }
/// Renames the solution's `function` to honest_<function> and appends `text` (which defines a new one).
inline Change rename_and_wrap(const std::string& file, const std::string& function, const std::string& text) {
    return {Change::Kind::wrap, file, function, text};
}
inline Change remove_file(const std::string& file) { return {Change::Kind::remove, file, "", ""}; }

/// What one `hd grade` run gave.
struct Graded {
    int exit_code = -1;
    double score = -1.0;
    nlohmann::json results;
    std::string log;          // hd grade's stdout and stderr
    double peak_rss_mib = 0;  // hd grade's own high-water mark (VmHWM), polled while it ran
    size_t log_bytes = 0;     // the size of everything hd grade kept in its results folder
    double run_seconds = 0;

    std::string tracker() const { return results.value("output", "") + "\n" + log; }
    /// Scored tests in results.json (not the instructors' 0-point notes).
    size_t counted_tests() const {
        size_t n = 0;
        for (const auto& test : results["tests"]) n += test.value("max_score", 0.0) > 0.0 ? 1 : 0;
        return n;
    }
};

inline fs::path make_submission(const std::string& name, const std::vector<Change>& changes) {
    const fs::path dir = fs::temp_directory_path() / ("hd-hostile-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir / "submission");
    for (const char* file : {"image_denoiser.cpp", "latent_prior.cpp", "metrics.cpp"})
        fs::copy_file(fs::path(source_dir()) / "solutions" / file, dir / "submission" / file);
    for (const Change& change : changes) {
        const fs::path path = dir / "submission" / change.file;
        if (change.kind == Change::Kind::remove) {
            fs::remove(path);
            continue;
        }
        std::string text = read_all(path);
        if (change.kind == Change::Kind::wrap) {
            const size_t at = text.find(" " + change.function + "(");
            REQUIRE(at != std::string::npos);
            text.replace(at + 1, change.function.size(), "honest_" + change.function);
        }
        write_all(path, text + change.text);
    }
    return dir;
}

inline double vm_hwm_mib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
}

inline Graded grade_submission(const std::string& name, const std::vector<Change>& changes,
                               const std::vector<std::string>& extra = {}) {
    const fs::path dir = make_submission(name, changes);
    std::vector<std::string> args = {HD_BINARY, "grade", "--submission", (dir / "submission").string(), "--output",
                                     (dir / "results" / "results.json").string(), "--build-dir", HD_GRADE_WORK};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir.c_str()) != 0) _exit(126);
        FILE* log = std::freopen((dir / "hd.log").c_str(), "w", stdout);
        if (!log || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(126);
        std::vector<char*> argv;
        for (std::string& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    REQUIRE(pid > 0);
    Graded graded;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        graded.peak_rss_mib = std::max(graded.peak_rss_mib, vm_hwm_mib(pid));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    graded.run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    graded.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    graded.log = read_all(dir / "hd.log");
    INFO(graded.log);
    if (fs::exists(dir / "results" / "results.json")) {
        graded.results = nlohmann::json::parse(read_all(dir / "results" / "results.json"));
        graded.score = graded.results.value("score", -1.0);
    }
    for (const auto& entry : fs::directory_iterator(fs::path(HD_GRADE_WORK) / "results"))
        graded.log_bytes += entry.is_regular_file() ? entry.file_size() : 0;
    return graded;
}

/// How many TEST_CASEs the .cpp files of `dir` hold.
inline size_t count_test_cases_in(const std::string& dir) {
    size_t count = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".cpp") continue;
        const std::string text = read_all(entry.path());
        for (size_t at = text.find("\nTEST_CASE("); at != std::string::npos; at = text.find("\nTEST_CASE(", at + 1)) ++count;
    }
    return count;
}

/// A copy of tests/hidden that only root can read (as on Gradescope after set-up).
inline std::string root_only_copy_of_hidden_tests() {
    const fs::path dir = fs::temp_directory_path() / "hd-hostile-secret-tests";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all);
    for (const auto& entry : fs::directory_iterator(hidden_tests())) fs::copy_file(entry.path(), dir / entry.path().filename());
    return dir.string();
}

/// Processes (zombies too) whose real user is `user`.
inline int processes_of_user(const std::string& user) {
    const passwd* entry = getpwnam(user.c_str());
    if (!entry) return 0;
    int count = 0;
    for (const auto& proc : fs::directory_iterator("/proc")) {
        const std::string name = proc.path().filename();
        if (name.empty() || name[0] < '0' || name[0] > '9') continue;
        std::ifstream status(proc.path() / "status");
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("Uid:", 0) == 0) count += std::stoul(line.substr(4)) == entry->pw_uid ? 1 : 0;
    }
    return count;
}

}  // namespace hd::grade_test
