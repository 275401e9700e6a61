// grade_support.h — the two pieces of `hd grade` that are not about the homework:
// running a child process with a time limit, and reading Catch2's XML report.
//
// What it does not do: sandbox the child (no seccomp, no memory limit) — a submission
// runs with the grader's rights, as on Gradescope, where the container is the sandbox.
#pragma once

#include <string>
#include <vector>

namespace hd::grade {

/// How a child process ended.
struct ProcessResult {
    int exit_code = -1;     // when it exited normally
    int signal = 0;         // the signal that killed it (0 if none)
    bool timed_out = false; // killed by us after the time limit
    double seconds = 0.0;   // wall-clock time

    bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
    /// "exit code 2", "killed by signal 11 (Segmentation fault)", "timed out after 120 s".
    std::string describe(double timeout_seconds) const;
};

/// Runs `argv` (argv[0] is looked up in PATH) in its own process group, with stdout and
/// stderr appended to `log_path`, from `working_dir` (empty: ours). After
/// `timeout_seconds` the whole group gets SIGKILL, so an endless loop, or a child that
/// spawned children, cannot outlive the limit.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& log_path, double timeout_seconds,
                          const std::string& working_dir = "");

/// One test case as Catch2's XML reporter recorded it.
struct CatchCase {
    std::string name;
    bool finished = false; // an <OverallResult> was written (false: the run died inside it)
    bool passed = false;
    std::string message;   // sections, INFO messages and failures, as readable text
};

/// Reads a Catch2 v2 `-r xml` report, also one cut off by a crash or a timeout.
std::vector<CatchCase> parse_catch_xml(const std::string& xml);

/// The whole file as a string ("" if it cannot be read).
std::string read_text(const std::string& path);

}  // namespace hd::grade
