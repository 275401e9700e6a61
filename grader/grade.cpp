// grade.cpp — `hd grade` from start to end (the trust model is in grade.h).
#include "grader/grade.h"

#include "grader/build.h"
#include "grader/runner.h"
#include "grader/scoring.h"
#include "grader/test_cases.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

namespace hd::grade {

namespace {

using Clock = std::chrono::steady_clock;

/// Everything one run works with, settled before any work starts.
struct Run {
    fs::path tree, submission, hidden, output;
    Sandbox sandbox;
    Workspace work;
    Clock::time_point start, deadline;
    const GradeOptions* options = nullptr;

    double seconds_left() const { return std::chrono::duration<double>(deadline - Clock::now()).count(); }
};

void say(const std::string& line) {
    std::fputs(("hd grade: " + line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

bool is_source_tree(const fs::path& dir) {
    std::error_code error;
    return fs::exists(dir / "homework" / "provided" / "models.h", error) && fs::exists(dir / "tests" / "homework", error);
}

/// The sandbox user, created (as a system user with no login) when we are root and it is missing.
Sandbox sandbox_for(const std::string& user) {
    if (geteuid() != 0) return Sandbox{};
    if (user.empty() || user == "root") throw InputError("--sandbox-user must name an unprivileged user");
    if (!getpwnam(user.c_str())) {
        say("creating the sandbox user '" + user + "' (useradd --system)");
        Limits limits;
        limits.seconds = 60.0;
        const RunResult made = run({"useradd", "--system", "--user-group", "--no-create-home", "--shell",
                                    "/usr/sbin/nologin", user},
                                   limits, Sandbox{}, false);
        if (!made.ok()) throw std::runtime_error("grade: useradd " + user + " failed: " + made.output);
    }
    return find_sandbox(user);
}

Run settle(const GradeOptions& options) {
    Run run;
    run.options = &options;
    run.start = Clock::now();
    run.deadline = run.start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.deadline_seconds));
    if (!is_source_tree(options.source_dir))
        throw InputError("'" + options.source_dir.string() + "' is not an hdiff source tree (see find_source_tree)");
    run.tree = fs::canonical(options.source_dir);
    run.submission = options.submission.empty() ? run.tree / "homework" : fs::absolute(options.submission);
    if (!fs::is_directory(run.submission))
        throw InputError("--submission " + run.submission.string() +
                         " is not a folder (it should hold image_denoiser.cpp, latent_prior.cpp and metrics.cpp)");
    if (!options.hidden_tests.empty()) {
        if (!fs::is_directory(options.hidden_tests))
            throw InputError("--hidden-tests " + options.hidden_tests.string() + " is not a folder of test .cpp files");
        run.hidden = fs::canonical(options.hidden_tests);
    }
    run.output = fs::absolute(options.output);
    run.sandbox = sandbox_for(options.sandbox_user);
    run.work = make_workspace(options.build_dir.empty() ? run.tree / "build-grade" : options.build_dir, run.sandbox);
    return run;
}

/// Holds an exclusive lock on the grading build folder: two runs sharing one would build
/// over each other's objects. A second run waits for the first.
class FolderLock {
public:
    explicit FolderLock(const fs::path& dir) : fd_(open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
        if (fd_ < 0 || flock(fd_, LOCK_EX) != 0) throw std::runtime_error("grade: cannot lock " + dir.string());
    }
    ~FolderLock() { close(fd_); }
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

private:
    int fd_;
};

/// Says what the sandbox can and cannot stop on this machine.
void report_sandbox(const Run& run) {
    if (!run.sandbox.enabled) {
        say("not running as root: student code runs as you (no user boundary; every other limit applies)");
        return;
    }
    say("student code runs as user '" + run.sandbox.user + "'");
    for (const fs::path& secret : {run.hidden, run.tree / "solutions"})
        if (!secret.empty() && fs::exists(secret) && readable_by(run.sandbox, secret.string()))
            say("warning: user '" + run.sandbox.user + "' can read " + secret.string() +
                ": make it root-only (chmod -R go-rwx) so that student code cannot");
}

/// Only we may read the executables and objects that hold hidden test code; the sandbox user may run them.
void protect_hidden_code(const Run& run) {
    using fs::perms;
    std::error_code ignored;
    for (const char* exe : {"hd_grade_names", "hd_grade_hidden"})
        if (fs::exists(run.work.build / exe))
            fs::permissions(run.work.build / exe, perms::owner_all | perms::group_exec | perms::others_exec, ignored);
    fs::permissions(run.work.build / "CMakeFiles" / "hd_grade_hidden_tests.dir", perms::owner_all, ignored);
}

/// Runs the tests of one Part, each in its own process, within the Part's time and the run's.
PartResult run_part(const Run& run, const PartInfo& info, const FileState& file, std::string& log) {
    PartResult part{&info, file, {}};
    const std::string names_exe = (run.work.build / "hd_grade_names").string(), tag = fmt::format("[part{}]", info.number);
    const auto part_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(run.options->part_seconds));
    Limits limits;
    limits.memory_bytes = run.options->memory_mib << 20;
    limits.output_bytes = size_t{64} << 10;
    limits.report_bytes = size_t{256} << 10;
    limits.working_dir = run.work.sandbox.string();
    for (bool hidden : {false, true}) {
        if (hidden && run.hidden.empty()) continue;
        const std::string exe = (run.work.build / (hidden ? "hd_grade_hidden" : "hd_grade_public")).string();
        for (const std::string& name : list_tests(names_exe, tag + (hidden ? "[hidden]" : "~[hidden]"))) {
            limits.seconds = std::min(std::chrono::duration<double>(part_end - Clock::now()).count(), run.seconds_left());
            if (interrupted()) limits.seconds = 0.0;
            part.tests.push_back(run_test_case(exe, name, hidden, limits, run.sandbox));
            const TestOutcome& test = part.tests.back();
            log += fmt::format("== {} [{}]: {}\n{}\n", name, hidden ? "hidden" : "public",
                               test.passed ? "passed" : test.summary, test.details);
        }
    }
    return part;
}

std::vector<PartResult> run_parts(const Run& run, std::map<std::string, FileState>& files) {
    std::vector<PartResult> results;
    std::string log;
    for (const PartInfo& info : parts()) {
        if (info.file.empty()) continue;
        say(fmt::format("running the Part {} tests", info.number));
        results.push_back(run_part(run, info, files[info.file], log));
    }
    write_file_atomic((run.work.results / "tests.log").string(), log);
    return results;
}

}  // namespace

GradeSummary grade(const GradeOptions& options) {
    InterruptGuard guard; // Ctrl-C: the running test is killed, then we stop
    const Run run = settle(options);
    say(run.submission.string() + " against " + run.tree.string() +
        (run.hidden.empty() ? " (public tests only)" : " + hidden tests in " + run.hidden.string()));
    report_sandbox(run);
    const FolderLock lock(run.work.root);
    kill_leftovers(run.sandbox); // anything an earlier run left behind

    BuildInputs inputs{run.tree, run.hidden, options.march, std::max(1.0, run.seconds_left())};
    say("building (logs in " + run.work.root.string() + ")");
    build_names(run.work, inputs);
    std::map<std::string, FileState> files = prepare_objects(run.work, inputs, run.submission, run.sandbox);
    inputs.deadline_seconds = std::max(1.0, run.seconds_left());
    link_tests(run.work, inputs, files);
    protect_hidden_code(run);
    for (const auto& [file, state] : files)
        if (state.stubbed) say("homework/" + file + " " + state.reason + "; its Parts are graded with the stub");

    const std::vector<PartResult> results = run_parts(run, files);
    kill_leftovers(run.sandbox); // nothing of the submission is alive when results.json is written
    if (interrupted()) throw std::runtime_error("grade: interrupted; no results.json was written");

    std::error_code error;
    const Progress progress{fs::exists("checkpoints/model_a.safetensors", error) && fs::exists("checkpoints/model_b.safetensors", error),
                            fs::exists("evaluation/model_a/metrics.json", error) && fs::exists("evaluation/model_b/metrics.json", error)};
    GradeSummary summary;
    summary.student_tracker = tracker(results, progress, false);
    summary.instructor_tracker = tracker(results, progress, true);
    for (const PartResult& part : results) summary.score += part_score(part);
    const int seconds = static_cast<int>(std::chrono::duration<double>(Clock::now() - run.start).count() + 0.5);
    write_file_atomic(run.output.string(), results_json(results, summary.student_tracker, seconds).dump(2) + "\n");
    summary.results_json = run.output;
    summary.logs = run.work.results;
    return summary;
}

fs::path find_source_tree(const fs::path& flag, const fs::path& built_from, const fs::path& executable) {
    if (!flag.empty()) {
        if (!is_source_tree(flag)) throw InputError("--source-dir " + flag.string() + " is not an hdiff source tree");
        return fs::canonical(flag);
    }
    if (!built_from.empty() && is_source_tree(built_from)) return fs::canonical(built_from);
    std::error_code error;
    for (fs::path dir = executable.parent_path(); !dir.empty() && dir.has_relative_path(); dir = dir.parent_path()) {
        if (!fs::exists(dir / "CMakeCache.txt", error)) continue;
        const std::string cache = read_file_bounded((dir / "CMakeCache.txt").string(), size_t{16} << 20);
        const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
        const size_t at = cache.find(key);
        if (at == std::string::npos) break;
        const fs::path home = cache.substr(at + key.size(), cache.find('\n', at) - at - key.size());
        if (is_source_tree(home)) return fs::canonical(home);
        break;
    }
    if (is_source_tree(fs::current_path())) return fs::current_path();
    throw InputError("cannot find the hdiff source tree; run from it or pass --source-dir");
}

}  // namespace hd::grade
