// cmd_grade.cpp — `hd grade`: the flags, then hd::grade::grade (grader/grade.h), which
// builds the submission against the tests, runs each test case as untrusted code and
// writes Gradescope's results.json.
//
//   hd grade [--submission DIR] [--hidden-tests DIR] [--output results.json] [--timeout 120]
#include "apps/commands.h"
#include "grader/grade.h"

#include <cstdio>
#include <filesystem>

namespace hd::cli {

namespace {

struct Flags {
    std::string submission, hidden_tests, output = "results.json", source_dir, build_dir, march = "x86-64-v3";
    std::string sandbox_user = "hdgrade";
    double timeout = 120.0, deadline = 1800.0;
    uint64_t memory_mib = 4096;
};

void grade(const Flags& flags) {
    grade::GradeOptions options;
    try {
        std::error_code error;
        options.source_dir = grade::find_source_tree(flags.source_dir, HD_SOURCE_DIR,
                                                     std::filesystem::read_symlink("/proc/self/exe", error));
        options.submission = flags.submission;
        options.hidden_tests = flags.hidden_tests;
        options.output = flags.output;
        options.build_dir = flags.build_dir;
        options.march = flags.march;
        options.part_seconds = flags.timeout;
        options.deadline_seconds = flags.deadline;
        options.memory_mib = flags.memory_mib;
        options.sandbox_user = flags.sandbox_user;
        const grade::GradeSummary summary = grade::grade(options);
        // With hidden tests, students see less than the instructor (who reads this on Gradescope).
        if (summary.instructor_tracker != summary.student_tracker) std::printf("\n%s", summary.instructor_tracker.c_str());
        std::printf("\n%s", summary.student_tracker.c_str());
        std::printf("results: %s   logs: %s\n", summary.results_json.c_str(), summary.logs.c_str());
    } catch (const grade::InputError& e) {
        throw UsageError(e.what());
    }
}

}  // namespace

void add_grade_command(CLI::App& app) {
    auto flags = std::make_shared<Flags>();
    auto* command = app.add_subcommand(
        "grade", "Grade a homework folder Part by Part (public + hidden tests), print the progress tracker and write "
                 "Gradescope's results.json");
    command->add_option("--submission", flags->submission,
                        "Folder holding image_denoiser.cpp, latent_prior.cpp, metrics.cpp (default: the tree's homework/)");
    command->add_option("--hidden-tests,--hidden_tests", flags->hidden_tests,
                        "Folder of extra test .cpp files (instructor tests, e.g. tests/hidden)");
    command->add_option("--output", flags->output, "Where to write Gradescope's results.json")->capture_default_str();
    command->add_option("--timeout", flags->timeout, "Time for all test cases of one Part, in seconds")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    command->add_option("--deadline", flags->deadline, "Time for the whole run (build included), in seconds")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));
    command->add_option("--memory-limit,--memory_limit", flags->memory_mib, "Address space of each test process, in MiB")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t{256}, uint64_t{1} << 20));
    command->add_option("--sandbox-user,--sandbox_user", flags->sandbox_user,
                        "Unprivileged user student code runs as when hd grade runs as root (created if missing)")
        ->capture_default_str();
    command->add_option("--source-dir,--source_dir", flags->source_dir,
                        "The hdiff source tree to build against (default: the one hd was built from)");
    command->add_option("--build-dir,--build_dir", flags->build_dir,
                        "The grading build folder, reused between runs (default: <tree>/build-grade)");
    command->add_option("--march", flags->march,
                        "CPU the grading build targets: an -march value, 'native' (this machine only) or 'none'")
        ->capture_default_str();
    command->callback([flags] { grade(*flags); });
}

}  // namespace hd::cli
