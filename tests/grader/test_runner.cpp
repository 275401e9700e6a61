// test_runner.cpp — child processes under the grader's limits (grader/runner.h), with a
// shell standing in for student code.
#include "grader/build.h"
#include "grader/runner.h"
#include "tests/support/temp_folder.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <pwd.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace hd::grade;

namespace {

/// The sandbox user when we are root (created by an earlier `hd grade` run or here), none otherwise.
Sandbox test_sandbox() {
    if (geteuid() != 0) return Sandbox{};
    if (!getpwnam("hdgrade"))
        run({"useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "hdgrade"},
            Limits{}, Sandbox{}, false);
    return find_sandbox("hdgrade");
}

RunResult shell(const std::string& script, Limits limits = {}) {
    return run({"sh", "-c", script}, limits, test_sandbox(), true);
}

bool alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("a child's exit code, output and fd-3 report come back through our pipes", "[grader]") {
    Limits limits;
    limits.report_bytes = 1024;
    const RunResult result = shell("echo out; echo err >&2; echo report >&3; exit 3", limits);
    CHECK(result.exit_code == 3);
    CHECK(result.output == "out\nerr\n");
    CHECK(result.report == "report\n");
}

TEST_CASE("output past the cap is read and dropped, and the child is not stalled", "[grader]") {
    Limits limits;
    limits.output_bytes = 1000;
    const RunResult result = shell("head -c 50000000 /dev/zero; exit 0", limits);
    CHECK(result.exit_code == 0);
    CHECK(result.output.size() == 1000);
    CHECK(result.output_cut);
}

TEST_CASE("a child past its time is killed with its whole session", "[grader]") {
    Limits limits;
    limits.seconds = 0.5;
    const RunResult result = shell("sleep 30 & echo $!; wait", limits);
    CHECK(result.timed_out);
    CHECK_FALSE(alive(std::stoi(result.output)));
}

TEST_CASE("a grandchild in a session of its own does not outlive the run", "[grader]") {
    InterruptGuard guard; // makes us the subreaper the orphan comes back to
    const RunResult result = shell("setsid sh -c 'sleep 30' & echo $!; sleep 0.2; exit 0");
    CHECK(result.exit_code == 0);
    CHECK_FALSE(alive(std::stoi(result.output)));
}

TEST_CASE("a test process cannot write a byte into a regular file", "[grader]") {
    const std::filesystem::path file = std::filesystem::temp_directory_path() / "hd-runner-fsize";
    std::filesystem::remove(file);
    Limits limits;
    limits.report_bytes = 1024; // a test run: RLIMIT_FSIZE = 0
    limits.working_dir = "/tmp";
    shell("echo forged > " + file.string(), limits);
    CHECK((!std::filesystem::exists(file) || std::filesystem::file_size(file) == 0));
}

TEST_CASE("Ctrl-C stops the running child at once", "[grader]") {
    InterruptGuard guard;
    std::thread interrupter([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        std::raise(SIGINT);
    });
    Limits limits;
    limits.seconds = 60.0;
    const auto start = std::chrono::steady_clock::now();
    const RunResult result = shell("sleep 30", limits);
    interrupter.join();
    CHECK(result.interrupted);
    CHECK(interrupted());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("as root, the child runs as the sandbox user", "[grader]") {
    const Sandbox sandbox = test_sandbox();
    if (!sandbox.enabled) {
        WARN("not root: no sandbox user");
        return;
    }
    const RunResult result = shell("id -u");
    CHECK(result.output == std::to_string(sandbox.uid) + "\n");
}

TEST_CASE("split_command undoes a shell's quoting", "[grader]") {
    CHECK(split_command(R"(c++ -DX="a b" -I/x\ y 'q r' -c f.cpp)") ==
          std::vector<std::string>{"c++", "-DX=a b", "-I/x y", "q r", "-c", "f.cpp"});
}

TEST_CASE("a cached object's key changes with any framework header, and only with headers", "[grader]") {
    const hd::test::TempFolder tree;
    auto write = [&](const std::string& name, const std::string& text) {
        std::filesystem::create_directories((tree.path / name).parent_path());
        std::ofstream(tree.path / name) << text;
    };
    for (const char* folder : {"autograd", "nn", "diffusion", "homework/provided"}) write(std::string(folder) + "/a.h", "int a;");
    const std::string before = framework_headers(tree.path);
    CHECK(before.find("int a;") != std::string::npos);

    write("homework/metrics.cpp", "student code"); // not a header: a source file keys its own object
    write("nn/notes.txt", "x");
    write("apps/cli.h", "x");                       // no Part file can include it through the framework
    CHECK(framework_headers(tree.path) == before);

    write("homework/provided/a.h", "int b;");       // a changed member layout, say
    const std::string changed = framework_headers(tree.path);
    CHECK(changed != before);
    write("diffusion/sub/new.h", "");               // a new header, even an empty one
    CHECK(framework_headers(tree.path) != changed);
}

TEST_CASE("first_problem names the student's file and its first error", "[grader]") {
    const std::string log = "In file included from x.h\n/w/parts/metrics.cpp:7:3: error: 'y' was not declared\n"
                            "/w/parts/metrics.cpp:9:1: error: second\n";
    CHECK(first_problem(log, "metrics.cpp") == "homework/metrics.cpp:7:3: error: 'y' was not declared");
}

TEST_CASE("a report past its cap keeps its start and its end, where the verdict is", "[grader]") {
    Limits limits;
    limits.report_bytes = 1024;
    const RunResult result = shell("echo START >&3; head -c 100000 /dev/zero | tr '\\0' x >&3; echo END >&3", limits);
    CHECK(result.report_cut);
    CHECK(result.report.rfind("START", 0) == 0);
    CHECK_THAT(result.report, Catch::EndsWith("END\n") && Catch::Contains("<Cut/>"));
    CHECK(result.report.size() < 1100);
}
