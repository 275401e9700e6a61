// runner.cpp — THE CODE HERE RUNS STUDENT CODE: child processes in a session of their own,
// as an unprivileged user when we are root, with limits, output through pipes we own.
#include "grader/runner.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace hd::grade {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) { g_interrupted = 1; }

using Clock = std::chrono::steady_clock;

/// What the child needs, prepared before fork so the child only makes system calls.
struct ChildPlan {
    std::vector<char*> argv, envp;
    int out_fd = -1, report_fd = -1;
    const Limits* limits = nullptr;
    const Sandbox* sandbox = nullptr; // null: run as ourselves
};

void set_limit(int resource, rlim_t value) {
    const rlimit limit{value, value};
    setrlimit(resource, &limit);
}

/// In the child: own session, the pipes as fds 1, 2 (and 3), limits, then the user, then exec.
[[noreturn]] void exec_child(const ChildPlan& plan) {
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL); // if `hd grade` dies, so does the test
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(plan.out_fd, STDOUT_FILENO);
    dup2(plan.out_fd, STDERR_FILENO);
    if (plan.report_fd >= 0) dup2(plan.report_fd, 3);
    for (int fd = 0; fd <= 3; ++fd) fcntl(fd, F_SETFD, 0);
    for (int fd = plan.report_fd >= 0 ? 4 : 3; fd < 1024; ++fd) close(fd);
    if (plan.limits->memory_bytes > 0) set_limit(RLIMIT_AS, plan.limits->memory_bytes);
    if (plan.sandbox) {
        set_limit(RLIMIT_CORE, 0);
        set_limit(RLIMIT_FSIZE, plan.limits->report_bytes > 0 ? 0 : rlim_t{1} << 30); // tests: no file writes
        if (plan.sandbox->enabled) set_limit(RLIMIT_NPROC, 128); // counts all of the user's processes: not ours
        if (plan.sandbox->enabled &&
            (setgroups(0, nullptr) != 0 || setgid(plan.sandbox->gid) != 0 || setuid(plan.sandbox->uid) != 0))
            _exit(126); // never run student code with our rights
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }
    if (!plan.limits->working_dir.empty() && chdir(plan.limits->working_dir.c_str()) != 0) _exit(126);
    if (plan.sandbox) execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
    else execvp(plan.argv[0], plan.argv.data()); // a trusted tool keeps our environment (ccache, HOME, …)
    _exit(127);
}

/// A pipe end we read, with what was kept of it.
struct Reader {
    int fd = -1;
    size_t cap = 0;
    std::string* text = nullptr;
    bool* cut = nullptr;
    std::string* tail = nullptr; // if set: past the cap, the last `cap` bytes are kept here

    /// Reads what is there; false at end of file.
    bool drain() {
        char buffer[65536];
        const ssize_t got = read(fd, buffer, sizeof buffer);
        if (got < 0) return errno == EINTR || errno == EAGAIN;
        if (got == 0) return false;
        const size_t keep = std::min(static_cast<size_t>(got), cap - std::min(cap, text->size()));
        text->append(buffer, keep);
        if (keep == static_cast<size_t>(got)) return true;
        *cut = true;
        if (tail) {
            tail->append(buffer + keep, static_cast<size_t>(got) - keep);
            if (tail->size() > cap) tail->erase(0, tail->size() - cap);
        }
        return true;
    }
};

/// Reads from the open readers for up to `milliseconds`; closes and drops those at end of file.
void pump(std::vector<Reader>& readers, int milliseconds) {
    std::vector<pollfd> fds;
    for (const Reader& reader : readers) fds.push_back({reader.fd, POLLIN, 0});
    if (fds.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
        return;
    }
    if (poll(fds.data(), fds.size(), milliseconds) <= 0) return;
    for (size_t i = fds.size(); i-- > 0;)
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !readers[i].drain()) {
            close(readers[i].fd);
            readers.erase(readers.begin() + static_cast<long>(i));
        }
}

/// The environment a sandboxed child gets: nothing of ours but the OpenMP settings.
std::vector<std::string> child_environment(const Limits& limits) {
    std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C",
                                    "HOME=" + (limits.working_dir.empty() ? std::string("/") : limits.working_dir)};
    for (const char* name : {"OMP_NUM_THREADS", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY", "TMPDIR"})
        if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
    return env;
}

/// Waits for `pid` while reading the pipes; kills its session on timeout or interrupt.
void supervise(pid_t pid, const Limits& limits, std::vector<Reader>& readers, RunResult& result) {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(std::max(0.0, limits.seconds)));
    int status = 0;
    for (;;) {
        pump(readers, 20);
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR)) break;
        const bool late = Clock::now() > deadline;
        if (late || g_interrupted) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            result.timed_out = late && !g_interrupted;
            result.interrupted = g_interrupted != 0;
            return;
        }
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    if (result.exit_code == 126 || result.exit_code == 127) result.could_not_start = true;
}

/// Calls `visit(pid, text)` with the text of /proc/<pid>/<file> for every process.
template <typename Visit>
void for_each_process(const char* file, Visit visit) {
    DIR* proc = opendir("/proc");
    if (!proc) return;
    while (const dirent* entry = readdir(proc)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        // read(2), not a stream: a process that vanishes meanwhile gives ESRCH, which streams throw.
        const int fd = open((std::string("/proc/") + entry->d_name + "/" + file).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        char buffer[4096];
        const ssize_t got = read(fd, buffer, sizeof buffer - 1);
        close(fd);
        if (got > 0) visit(static_cast<pid_t>(std::atoi(entry->d_name)), std::string(buffer, static_cast<size_t>(got)));
    }
    closedir(proc);
}

/// Our children: after the test's own process is reaped, only orphans that came back to the subreaper.
std::vector<pid_t> our_children() {
    std::vector<pid_t> children;
    const pid_t self = getpid();
    for_each_process("stat", [&](pid_t pid, const std::string& stat) {
        const size_t paren = stat.rfind(')');
        char state = 0;
        int ppid = 0;
        if (paren != std::string::npos && std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) == 2 &&
            ppid == self)
            children.push_back(pid);
    });
    return children;
}

/// Does any process (zombies included) have `uid` as its real, effective or saved user?
bool user_has_processes(uid_t uid) {
    bool found = false;
    for_each_process("status", [&](pid_t, const std::string& status) {
        const size_t at = status.find("\nUid:");
        unsigned real = 0, effective = 0, saved = 0;
        if (at != std::string::npos && std::sscanf(status.c_str() + at + 5, "%u %u %u", &real, &effective, &saved) == 3)
            found = found || real == uid || effective == uid || saved == uid;
    });
    return found;
}

/// One round of killing every process of the sandbox user; true when none is left.
bool kill_user_once(const Sandbox& sandbox) {
    const pid_t killer = fork();
    if (killer == 0) {
        // kill(-1) as that user reaches every process it owns, except this one.
        if (setgid(sandbox.gid) == 0 && setuid(sandbox.uid) == 0) kill(-1, SIGKILL);
        _exit(0);
    }
    if (killer > 0) waitpid(killer, nullptr, 0);
    return !user_has_processes(sandbox.uid);
}

}  // namespace

std::string RunResult::describe(double seconds) const {
    if (interrupted) return "interrupted";
    if (timed_out) return fmt::format("timed out after {:.0f} s (an endless loop?)", seconds);
    if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
    if (could_not_start) return fmt::format("exit code {} (it could not be started)", exit_code);
    return fmt::format("exit code {}", exit_code);
}

Sandbox find_sandbox(const std::string& user) {
    Sandbox sandbox;
    if (geteuid() != 0 || user.empty()) return sandbox;
    const passwd* entry = getpwnam(user.c_str());
    if (!entry) throw std::runtime_error("grade: the sandbox user '" + user + "' does not exist");
    if (entry->pw_uid == 0) throw std::runtime_error("grade: the sandbox user '" + user + "' is root");
    sandbox = {true, user, entry->pw_uid, entry->pw_gid};
    return sandbox;
}

RunResult run(const std::vector<std::string>& argv, const Limits& limits, const Sandbox& sandbox, bool sandboxed) {
    RunResult result;
    int out_pipe[2], report_pipe[2] = {-1, -1};
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || (limits.report_bytes > 0 && pipe2(report_pipe, O_CLOEXEC) != 0))
        throw std::runtime_error(fmt::format("grade: pipe failed: {}", std::strerror(errno)));
    // Catch2 opens its report as /dev/fd/3, which re-opens the pipe: the sandbox user must own it.
    if (sandboxed && sandbox.enabled && report_pipe[1] >= 0 &&
        (fchown(report_pipe[0], sandbox.uid, sandbox.gid) != 0 || fchown(report_pipe[1], sandbox.uid, sandbox.gid) != 0))
        throw std::runtime_error(fmt::format("grade: cannot give the report pipe to {}: {}", sandbox.user, std::strerror(errno)));
    std::vector<std::string> env = child_environment(limits);
    ChildPlan plan{{}, {}, out_pipe[1], report_pipe[1], &limits, sandboxed ? &sandbox : nullptr};
    for (const std::string& arg : argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
    for (const std::string& var : env) plan.envp.push_back(const_cast<char*>(var.c_str()));
    plan.argv.push_back(nullptr);
    plan.envp.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(fmt::format("grade: fork failed: {}", std::strerror(errno)));
    if (pid == 0) exec_child(plan);
    close(out_pipe[1]);
    if (report_pipe[1] >= 0) close(report_pipe[1]);
    std::vector<Reader> readers = {{out_pipe[0], limits.output_bytes, &result.output, &result.output_cut}};
    // The report keeps its head and its tail: the verdict (<OverallResult>) is at the end.
    std::string report_tail;
    if (report_pipe[0] >= 0)
        readers.push_back({report_pipe[0], limits.report_bytes / 2, &result.report, &result.report_cut, &report_tail});

    supervise(pid, limits, readers, result);
    kill(-pid, SIGKILL); // whatever it left in its session
    if (sandboxed) kill_leftovers(sandbox);
    // Everything that could hold the pipes open is gone; what is buffered is still ours to read.
    for (int round = 0; round < 100 && !readers.empty(); ++round) pump(readers, 10);
    for (const Reader& reader : readers) close(reader.fd);
    // A tag cut at the join ends at this '>' and means nothing; text in between was escaped by Catch2.
    if (result.report_cut) result.report += "\n<Cut/>\n" + report_tail;
    return result;
}

void kill_leftovers(const Sandbox& sandbox) {
    for (int round = 0; round < 1000; ++round) {
        const bool user_clear = !sandbox.enabled || kill_user_once(sandbox);
        const std::vector<pid_t> orphans = our_children();
        for (pid_t orphan : orphans) kill(orphan, SIGKILL);
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        if (user_clear && orphans.empty()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("grade: processes of the submission are still running after 1000 rounds of SIGKILL");
}

namespace {
struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
int g_previous_subreaper = 0;
}  // namespace

InterruptGuard::InterruptGuard() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &g_previous[i]);
    prctl(PR_GET_CHILD_SUBREAPER, &g_previous_subreaper);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

InterruptGuard::~InterruptGuard() {
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
    g_interrupted = 0; // an interrupt belongs to the run that was guarded, not to later ones
    prctl(PR_SET_CHILD_SUBREAPER, g_previous_subreaper);
}

bool interrupted() { return g_interrupted != 0; }

bool readable_by(const Sandbox& sandbox, const std::string& path) {
    const pid_t child = fork();
    if (child == 0) {
        if (sandbox.enabled && (setgroups(0, nullptr) != 0 || setgid(sandbox.gid) != 0 || setuid(sandbox.uid) != 0))
            _exit(2);
        _exit(open(path.c_str(), O_RDONLY) >= 0 ? 0 : 1);
    }
    int status = 0;
    return child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace hd::grade
