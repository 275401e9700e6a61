// grade.h — `hd grade`: grade a homework submission Part by Part against the public and
// hidden tests, print the progress tracker and write Gradescope's results.json.
//
// Trust model. Student code is untrusted; assume a student who has read this folder.
// What each layer stops:
//   1. Only the three student files are taken, compiled on their own in the sandbox
//      (build.h): an #include of a hidden test or a solution fails there (the sandbox user
//      cannot read them), and the object that compiler made is the one linked.
//   2. The object check (object_check.h) refuses a file that runs code before or after
//      main, makes system calls, calls the process/file/exit/signal/memory APIs, touches
//      Catch2 or the tests' helpers, or strongly redefines a framework or test symbol
//      (forged report, late rewrite, helper override). The file is replaced by its
//      shipped stub (homework/<file>) and only its Parts fail.
//   3. The list of tests comes from a build with the stubs only; a test the student's
//      build does not report counts as failed (hiding tests).
//   4. Each test case runs in a process of its own (test_cases.h) as the sandbox user, in
//      its own session, under a memory limit, with no right to write regular files, with
//      output and report through capped pipes we own; it passes only if it exits 0 and
//      its report says so. Public and hidden tests are separate executables, so student
//      code in a visible test cannot print hidden test code.
//   5. After every test, and before results.json is written, every process of the
//      sandbox user and every orphan that came back to us (we are a child subreaper) is
//      killed (late rewrite, escaping children); there are time limits per Part and for the
//      whole run; Ctrl-C kills the running test and ends the run.
//   6. Students see hidden tests' names and points only (scoring.h).
// Running as root: the sandbox user (default hdgrade) is created if missing
// (useradd --system); hidden tests and solutions should not be readable by it
// (`hd grade` warns when they are; the Gradescope set-up makes them root-only).
// One run at a time per sandbox user: step 5 kills every process of that user, so two
// runs side by side on one machine must use different --sandbox-user names.
// Not root: there is no user boundary — children run as the caller with every other
// layer in force; the caller's files are then protected only by RLIMIT_FSIZE = 0 and the
// object check.
// What is left (an honest list): code that reaches the test harness's memory through raw
// pointers (e.g. walking the stack to Catch2's objects) and changes its verdict, or that
// redefines a framework inline function under the one-definition rule, is not detected
// by the object check; no seccomp filter or cgroup backs the limits.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace hd::grade {

/// A problem with what `hd grade` was asked (a folder that is not there, …): exit 2.
struct InputError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

struct GradeOptions {
    std::filesystem::path submission;    // holds image_denoiser.cpp, latent_prior.cpp, metrics.cpp ("": the tree's homework/)
    std::filesystem::path hidden_tests;  // folder of instructor test .cpp files ("": none)
    std::filesystem::path output = "results.json";
    std::filesystem::path source_dir;    // the hdiff source tree ("": found from the binary)
    std::filesystem::path build_dir;     // the grading build folder ("": <tree>/build-grade)
    std::string march = "x86-64-v3";     // CPU the grading build targets
    double part_seconds = 120.0;         // all test cases of one Part together
    double deadline_seconds = 1800.0;    // the whole run, build included
    uint64_t memory_mib = 4096;          // RLIMIT_AS of each test process
    std::string sandbox_user = "hdgrade";
};

/// What the run gave: the score and where things were written.
struct GradeSummary {
    double score = 0.0;           // all points, hidden included
    std::string student_tracker;  // what results.json shows students
    std::string instructor_tracker;
    std::filesystem::path results_json, logs;
};

/// Grades one submission (prints progress to stdout) and writes results.json.
GradeSummary grade(const GradeOptions& options);

/// The hdiff source tree: `flag` if given, else the one `hd` was built from (HD_SOURCE_DIR,
/// or the CMakeCache.txt of the build folder holding `executable`), else the working folder.
std::filesystem::path find_source_tree(const std::filesystem::path& flag, const std::filesystem::path& built_from,
                                       const std::filesystem::path& executable);

}  // namespace hd::grade
