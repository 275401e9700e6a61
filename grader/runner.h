// runner.h — THE CODE HERE RUNS STUDENT CODE. Every process `hd grade` starts goes
// through run(): the tools it trusts (cmake, ninja, nm, objdump) and, in a sandbox, the
// compiler on a student's file and the test executables that contain a student's code.
//
// What a sandboxed child gets, and why (the trust model is in grader/grade.h):
//   - its own session and process group, killed as a whole when it ends, times out, or
//     `hd grade` is interrupted (SIGINT/SIGTERM/SIGHUP); `hd grade` is a child subreaper,
//     so a grandchild that double-forks and calls setsid still comes back to it and is killed;
//   - when `hd grade` runs as root: the unprivileged user of the Sandbox (no supplementary
//     groups, no new privileges), and every process of that user is killed after each run;
//   - RLIMIT_AS (memory), RLIMIT_FSIZE = 0 (it cannot put a single byte into a regular
//     file, whoever owns it), RLIMIT_CORE = 0, RLIMIT_NPROC, stdin from /dev/null and an
//     environment of PATH, HOME and the OpenMP variables only;
//   - stdout and stderr into one pipe, and (for tests) the Catch2 report into a second
//     pipe on fd 3, both owned by `hd grade` and read with a cap: past the cap the bytes
//     are read and dropped, so a flood costs neither memory nor a stalled child.
// What it does not do: seccomp or cgroups (a child can still use any system call its
// user may, inside those limits; the object check in grader/object_check.h is what
// refuses student code that calls the process, file and exit APIs).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hd::grade {

/// The unprivileged user student code runs as. `enabled` is false when `hd grade` is
/// not root (then children run as the caller, with every other limit still in force).
struct Sandbox {
    bool enabled = false;
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
};

/// Looks up `user` when running as root; a disabled Sandbox otherwise. Throws when root
/// and the user does not exist (scripts/gradescope_bundle.sh's set-up creates it).
Sandbox find_sandbox(const std::string& user);

/// What a child may use.
struct Limits {
    double seconds = 60.0;            // wall clock, then SIGKILL to its whole session
    uint64_t memory_bytes = 0;        // RLIMIT_AS (0: none; used for tools)
    size_t output_bytes = 1 << 20;    // kept of stdout + stderr; the rest is read and dropped
    size_t report_bytes = 0;          // > 0: a second pipe on fd 3 for the Catch2 report; its first and
                                      // last report_bytes / 2 are kept (the verdict is at its end)
    std::string working_dir;          // "" : ours
};

/// How a child ended, and what it wrote into the pipes (within the caps).
struct RunResult {
    int exit_code = -1;
    int signal = 0;
    bool timed_out = false;
    bool interrupted = false; // `hd grade` got SIGINT/SIGTERM/SIGHUP while it ran
    bool could_not_start = false;
    std::string output, report;
    bool output_cut = false, report_cut = false;

    bool ok() const { return !timed_out && !interrupted && signal == 0 && exit_code == 0; }
    /// "exit code 2", "killed by signal 11 (Segmentation fault)", "timed out after 120 s".
    std::string describe(double seconds) const;
};

/// Runs `argv` (argv[0] looked up in PATH) under `limits`, as `sandbox`'s user when it is
/// enabled and `sandboxed` is true. Returns once the child and everything it started is gone.
RunResult run(const std::vector<std::string>& argv, const Limits& limits, const Sandbox& sandbox, bool sandboxed);

/// Kills every process of the sandbox user (when enabled) and every orphan that came back to
/// us, until none is left. Called after each sandboxed run and before results.json is written.
void kill_leftovers(const Sandbox& sandbox);

/// While alive: SIGINT, SIGTERM and SIGHUP set a flag instead of killing `hd grade`, so the
/// running child is killed and the grader exits cleanly; `hd grade` is made a child subreaper.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
};

/// True once SIGINT, SIGTERM or SIGHUP arrived under an InterruptGuard.
bool interrupted();

/// Can `sandbox`'s user open `path` for reading (a file) or list it (a folder)?
bool readable_by(const Sandbox& sandbox, const std::string& path);

}  // namespace hd::grade
