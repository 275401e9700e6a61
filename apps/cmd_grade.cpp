// cmd_grade.cpp — `hd grade`: grade a homework submission, Part by Part.
//
//   hd grade [--submission DIR] [--hidden-tests DIR] [--output results.json] [--timeout 120]
//
// 1. Takes ONLY the three student files (image_denoiser.cpp, latent_prior.cpp,
//    metrics.cpp) from the submission folder, whatever else it holds, into
//    <tree>/build-grade/parts. A missing file, or one that does not compile, is replaced
//    by a stub that throws NotImplemented, so the other Parts are still graded.
// 2. Builds one test executable from this source tree, those three files, the public
//    Part tests (tests/homework) and, if given, the hidden tests — through a small
//    generated CMake project in build-grade, reused between runs so that only the three
//    files recompile. It targets x86-64-v3 (AVX2) rather than this machine's CPU
//    (--march), so an image built on one Gradescope host runs on the others.
// 3. Runs each Part's tests ("[partN]") in a process of its own, in its own process
//    group, with a time limit: a throw, a segfault or an endless loop costs that Part only.
//    Catch2's XML report gives the result of every test case.
// 4. Prints the handout's progress tracker (Parts 1–7, ✓/✗ with a one-line reason) and
//    writes Gradescope's results.json atomically (temporary file, then rename).
// Scoring: 20 points per Part (1–5), split evenly over that Part's test cases, public and
// hidden. Parts 6–7 (trained checkpoints, evaluation reports) are tracked, not scored.
#include "apps/commands.h"
#include "apps/grade_support.h"
#include "nn/files.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace hd::cli {

namespace {

namespace fs = std::filesystem;
using grade::CatchCase;
using grade::ProcessResult;
using grade::run_process;

constexpr double kPointsPerPart = 20.0;
constexpr double kBuildTimeoutSeconds = 1800.0;
const std::array<std::string, 3> kStudentFiles = {"image_denoiser.cpp", "latent_prior.cpp", "metrics.cpp"};

struct PartInfo {
    int number;
    std::string title; // the handout's tracker line
    std::string file;  // the student file it lives in ("" for Parts 6–7)
};

const std::vector<PartInfo>& parts() {
    static const std::vector<PartInfo> table = {
        {1, "ImageDenoiser forward()", "image_denoiser.cpp"},
        {2, "LatentPrior forward()", "latent_prior.cpp"},
        {3, "Mode coverage metric", "metrics.cpp"},
        {4, "Conditional entropy", "metrics.cpp"},
        {5, "KL divergence", "metrics.cpp"},
        {6, "Train both models", ""},
        {7, "Evaluate both models", ""},
    };
    return table;
}

/// A stand-in for a student file that is missing or does not compile: every function of
/// it throws NotImplemented with `why`, so its Parts fail and the others still run.
std::string stub_source(const std::string& file, const std::string& why) {
    const std::string head = "// Written by `hd grade`: a stand-in for homework/" + file + " (" + why + ").\n";
    auto throw_line = [&](int part, const std::string& function) {
        return fmt::format("    throw NotImplemented(\"Part {}: {} (homework/{} {})\");\n", part, function, file, why);
    };
    if (file == "image_denoiser.cpp")
        return head + "#include \"homework/provided/models.h\"\n#include \"homework/provided/not_implemented.h\"\nnamespace hd {\n"
                      "Tensor ImageDenoiser::forward(const Tensor&, const Tensor&, const Tensor&) {\n" +
               throw_line(1, "ImageDenoiser::forward") + "}\n}  // namespace hd\n";
    if (file == "latent_prior.cpp")
        return head + "#include \"homework/provided/models.h\"\n#include \"homework/provided/not_implemented.h\"\nnamespace hd {\n"
                      "Tensor LatentPrior::forward(const Tensor&, const Tensor&, const Tensor&) {\n" +
               throw_line(2, "LatentPrior::forward") + "}\n}  // namespace hd\n";
    return head + "#include \"homework/provided/metrics.h\"\n#include \"homework/provided/not_implemented.h\"\nnamespace hd {\n"
                  "ModeCoverage compute_mode_coverage(const Tensor&, Category, const SyntheticDataset&) {\n" +
           throw_line(3, "compute_mode_coverage") +
           "}\ndouble compute_conditional_entropy(const Tensor&, Category, const SyntheticDataset&) {\n" +
           throw_line(4, "compute_conditional_entropy") +
           "}\ndouble compute_kl_divergence(const Tensor&, Category, const SyntheticDataset&) {\n" +
           throw_line(5, "compute_kl_divergence") + "}\n}  // namespace hd\n";
}

/// Writes `text` to `path` only if it differs, so ninja sees no change when there is none.
void write_if_changed(const fs::path& path, const std::string& text) {
    if (fs::exists(path) && grade::read_text(path) == text) return;
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("grade: cannot write " + path.string());
}

bool is_source_tree(const fs::path& dir) {
    return fs::exists(dir / "homework" / "provided" / "models.h") && fs::exists(dir / "tests" / "homework");
}

/// The hdiff source tree to grade against: --source-dir, else the HD_SOURCE_DIR this
/// binary was built with, else the tree named by the CMakeCache.txt of the build
/// folder this binary lives in, else the working directory.
fs::path find_source_tree(const std::string& flag) {
    if (!flag.empty()) {
        if (!is_source_tree(flag)) throw UsageError("--source-dir " + flag + " is not an hdiff source tree");
        return fs::canonical(flag);
    }
#ifdef HD_SOURCE_DIR
    if (is_source_tree(HD_SOURCE_DIR)) return fs::canonical(HD_SOURCE_DIR);
#endif
    std::error_code error;
    for (fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path(); !error && dir.has_relative_path();
         dir = dir.parent_path()) {
        if (!fs::exists(dir / "CMakeCache.txt")) continue;
        std::istringstream cache(grade::read_text(dir / "CMakeCache.txt"));
        std::string line;
        while (std::getline(cache, line))
            if (line.rfind("CMAKE_HOME_DIRECTORY:INTERNAL=", 0) == 0) {
                const fs::path home = line.substr(line.find('=') + 1);
                if (is_source_tree(home)) return fs::canonical(home);
            }
        break;
    }
    if (is_source_tree(fs::current_path())) return fs::current_path();
    throw UsageError("cannot find the hdiff source tree; run from it or pass --source-dir");
}

/// The generated CMake project: the tree's libraries, the Parts from `parts_dir`, and one
/// test executable with the public Part tests plus the hidden ones.
std::string grade_project(const fs::path& tree, const fs::path& parts_dir, const std::string& hidden_dir,
                          const std::string& march) {
    std::string arch;
    if (march == "native") arch = "set(HD_NATIVE ON CACHE BOOL \"\" FORCE)";
    else if (march == "none") arch = "set(HD_NATIVE OFF CACHE BOOL \"\" FORCE)";
    else arch = "set(HD_NATIVE OFF CACHE BOOL \"\" FORCE)\nadd_compile_options(-march=" + march + ")";
    std::string globs = fmt::format("\"{}/tests/homework/*.cpp\"", tree.string());
    if (!hidden_dir.empty()) globs += fmt::format(" \"{}/*.cpp\"", hidden_dir);
    return fmt::format(R"(# Written by `hd grade` on every run; do not edit.
cmake_minimum_required(VERSION 3.25)
project(hdiff_grade LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(HD_PARTS_DIR "{parts}" CACHE PATH "" FORCE)
set(HD_BUILD_TESTS OFF CACHE BOOL "" FORCE)
# The target CPU (hd grade --march): Gradescope builds the image on one machine and grades on others.
{arch}
add_subdirectory("{tree}" hdiff EXCLUDE_FROM_ALL)
find_package(Catch2 2 REQUIRED)
file(GLOB hd_grade_test_sources CONFIGURE_DEPENDS {globs})
add_executable(hd_grade_tests "{tree}/tests/support/catch_main.cpp" "{tree}/tests/support/tensor_compare.cpp"
               ${{hd_grade_test_sources}})
target_link_libraries(hd_grade_tests PRIVATE hd::homework Catch2::Catch2)
)",
                       fmt::arg("parts", parts_dir.string()), fmt::arg("tree", tree.string()),
                       fmt::arg("globs", globs), fmt::arg("arch", arch));
}

/// What happened to one student file on its way into the build.
struct FileState {
    bool stubbed = false;
    std::string reason; // why it was replaced, e.g. "did not compile: …"
};

/// The first compiler error about `file` in a ninja log, shortened to one line.
std::string first_error(const std::string& log, const std::string& file) {
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line))
        if (line.find(file + ":") != std::string::npos && line.find("error") != std::string::npos) {
            const size_t at = line.find(file);
            std::string shown = "homework/" + line.substr(at);
            return shown.size() > 200 ? shown.substr(0, 197) + "..." : shown;
        }
    return "see " + file + " in the build log";
}

/// Did ninja report the object of `file` as FAILED?
bool failed_to_compile(const std::string& log, const std::string& file) {
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("FAILED: ", 0) == 0 && line.find("/" + file + ".o") != std::string::npos) return true;
    return false;
}

struct TestResult {
    std::string name;
    bool hidden = false;
    bool passed = false;
    std::string output;
};

struct PartResult {
    const PartInfo* info = nullptr;
    std::vector<TestResult> tests;
    double score = 0.0;
    bool passed = false;
    std::string reason; // one line for the tracker
};

/// Test-case names matching a Catch2 filter, one per line of --list-test-names-only.
std::vector<std::string> list_tests(const fs::path& exe, const std::string& filter, const fs::path& log) {
    fs::remove(log);
    run_process({exe.string(), filter, "--list-test-names-only"}, log.string(), 60.0);
    std::vector<std::string> names;
    std::istringstream in(grade::read_text(log));
    std::string line;
    while (std::getline(in, line))
        if (!line.empty() && line.rfind("-- ", 0) != 0) names.push_back(line);
    return names;
}

/// A Catch2 filter matching exactly the test case `name` (commas, brackets, quotes and
/// backslashes escaped, since they mean something in a filter).
std::string catch_name_filter(const std::string& name) {
    std::string filter;
    for (char c : name) {
        if (c == ',' || c == '[' || c == ']' || c == '"' || c == '\\') filter += '\\';
        filter += c;
    }
    return filter;
}

std::string first_line(const std::string& text) {
    const std::string line = text.substr(0, text.find('\n'));
    return line.size() > 160 ? line.substr(0, 157) + "..." : line;
}

PartResult run_part(const PartInfo& part, const fs::path& exe, const fs::path& results_dir, double timeout,
                    const FileState& file_state) {
    PartResult result;
    result.info = &part;
    const std::string tag = fmt::format("[part{}]", part.number);
    const auto public_names = list_tests(exe, tag + "~[hidden]", results_dir / fmt::format("part{}.list", part.number));
    const auto hidden_names = list_tests(exe, tag + "[hidden]", results_dir / fmt::format("part{}.list", part.number));

    const fs::path xml_path = results_dir / fmt::format("part{}.xml", part.number);
    const fs::path log_path = results_dir / fmt::format("part{}.log", part.number);
    fs::remove(xml_path);
    fs::remove(log_path);
    const ProcessResult process =
        run_process({exe.string(), tag, "-r", "xml", "-o", xml_path.string()}, log_path.string(), timeout);

    std::vector<CatchCase> cases = grade::parse_catch_xml(grade::read_text(xml_path));
    const bool run_died = !process.ok() && (process.timed_out || process.signal != 0 || cases.empty());
    const std::string died_in = run_died && !cases.empty() ? cases.back().name : ""; // where the run stopped

    // After a crash (not a timeout: that could cost the limit once per test), run each
    // test that never ran on its own, so one crashing test costs only itself.
    if (run_died && !process.timed_out) {
        for (const auto* names : {&public_names, &hidden_names})
            for (const std::string& name : *names) {
                bool reported = false;
                for (const CatchCase& c : cases) reported = reported || c.name == name;
                if (reported) continue;
                fs::remove(xml_path);
                const ProcessResult single = run_process(
                    {exe.string(), catch_name_filter(name), "-r", "xml", "-o", xml_path.string()}, log_path.string(), timeout);
                std::vector<CatchCase> found = grade::parse_catch_xml(grade::read_text(xml_path));
                if (found.empty())
                    found.push_back({name, true, false, "this test was " + single.describe(timeout) + " when run alone"});
                cases.push_back(found.front());
            }
    }

    for (const auto* names : {&public_names, &hidden_names})
        for (const std::string& name : *names) {
            TestResult test;
            test.name = name;
            test.hidden = names == &hidden_names;
            const CatchCase* found = nullptr;
            for (const CatchCase& c : cases)
                if (c.name == name) found = &c;
            if (found && found->finished) {
                test.passed = found->passed;
                test.output = found->passed ? "" : found->message;
            } else if (found) {
                test.output = fmt::format("the test run was {} during this test\n{}", process.describe(timeout),
                                          found->message);
            } else {
                test.output = run_died ? fmt::format("not run: the tests of this Part were {}{}",
                                                     process.describe(timeout),
                                                     died_in.empty() ? "" : " during '" + died_in + "'")
                                       : "no result was reported for this test";
            }
            result.tests.push_back(std::move(test));
        }

    const int total = static_cast<int>(result.tests.size());
    int passed = 0;
    for (const TestResult& test : result.tests) passed += test.passed ? 1 : 0;
    result.score = total > 0 ? kPointsPerPart * passed / total : 0.0;
    result.passed = total > 0 && passed == total;

    if (total == 0) {
        result.reason = fmt::format("no tests found for {} ({})", tag, process.describe(timeout));
    } else if (file_state.stubbed) {
        result.reason = "homework/" + part.file + " " + file_state.reason;
    } else if (result.passed) {
        result.reason = fmt::format("{} of {} tests pass", passed, total);
    } else if (run_died) {
        result.reason = fmt::format("{} of {} tests pass; the run was {}{}", passed, total, process.describe(timeout),
                                    died_in.empty() ? "" : " in '" + died_in + "'");
    } else {
        const TestResult* first_failure = nullptr;
        int not_implemented = 0;
        for (const TestResult& test : result.tests)
            if (!test.passed) {
                if (!first_failure) first_failure = &test;
                if (test.output.find("not implemented yet: Part") != std::string::npos) ++not_implemented;
            }
        if (not_implemented == total - passed && passed == 0)
            result.reason = fmt::format("not implemented yet (homework/{})", part.file);
        else {
            // The line that says what is wrong: the first that is not a section or INFO context.
            std::string detail = first_line(first_failure->output);
            std::istringstream lines(first_failure->output);
            std::string line;
            while (std::getline(lines, line))
                if (line.find("your ") != std::string::npos || line.find("unexpected exception") != std::string::npos ||
                    line.find("failed, with") != std::string::npos || line.find("never") != std::string::npos) {
                    detail = first_line(line);
                    break;
                }
            result.reason = fmt::format("{} of {} tests pass; '{}': {}", passed, total, first_failure->name, detail);
        }
    }
    return result;
}

struct Options {
    std::string submission;
    std::string hidden_tests;
    std::string output = "results.json";
    std::string source_dir;
    std::string build_dir;
    std::string march = "x86-64-v3";
    double timeout = 120.0;
};

void grade(const Options& options) {
    const auto start = std::chrono::steady_clock::now();
    const fs::path tree = find_source_tree(options.source_dir);
    const fs::path submission = options.submission.empty() ? tree / "homework" : fs::path(options.submission);
    if (!fs::is_directory(submission))
        throw UsageError("--submission " + submission.string() + " is not a folder (it should hold " +
                         kStudentFiles[0] + ", " + kStudentFiles[1] + " and " + kStudentFiles[2] + ")");
    std::string hidden_dir;
    if (!options.hidden_tests.empty()) {
        if (!fs::is_directory(options.hidden_tests))
            throw UsageError("--hidden-tests " + options.hidden_tests + " is not a folder of test .cpp files");
        hidden_dir = fs::canonical(options.hidden_tests).string();
    }
    const fs::path work = options.build_dir.empty() ? tree / "build-grade" : fs::path(options.build_dir);
    const fs::path parts_dir = work / "parts", project_dir = work / "project", build_dir = work / "build",
                   results_dir = work / "results";
    for (const fs::path& dir : {parts_dir, project_dir, build_dir, results_dir}) fs::create_directories(dir);

    std::printf("hd grade: %s against %s%s\n", fs::absolute(submission).c_str(), tree.c_str(),
                hidden_dir.empty() ? " (public tests only)" : (" + hidden tests in " + hidden_dir).c_str());
    std::fflush(stdout);

    // 1. Only the three student files, or stubs where one is missing.
    std::map<std::string, FileState> files;
    for (const std::string& file : kStudentFiles) {
        if (fs::is_regular_file(submission / file)) {
            write_if_changed(parts_dir / file, grade::read_text(submission / file));
        } else {
            files[file] = {true, "is missing from the submission"};
            write_if_changed(parts_dir / file, stub_source(file, "is missing from the submission"));
        }
    }
    write_if_changed(project_dir / "CMakeLists.txt", grade_project(tree, parts_dir, hidden_dir, options.march));

    // 2. Build; a file that fails to compile falls back to its stub.
    const fs::path build_log = work / "build.log";
    auto build = [&] {
        fs::remove(build_log);
        if (!fs::exists(build_dir / "build.ninja")) {
            const ProcessResult configured =
                run_process({"cmake", "-S", project_dir.string(), "-B", build_dir.string(), "-G", "Ninja",
                             "-DCMAKE_BUILD_TYPE=Release"},
                            build_log.string(), kBuildTimeoutSeconds);
            if (!configured.ok()) return false;
        }
        return run_process({"ninja", "-C", build_dir.string(), "-k", "0", "hd_grade_tests"}, build_log.string(),
                           kBuildTimeoutSeconds)
            .ok();
    };
    std::printf("hd grade: building (log: %s)\n", build_log.c_str());
    std::fflush(stdout);
    bool built = build();
    if (!built) {
        const std::string log = grade::read_text(build_log);
        bool stubbed_any = false;
        for (const std::string& file : kStudentFiles)
            if (!files[file].stubbed && failed_to_compile(log, file)) {
                files[file] = {true, "did not compile: " + first_error(log, file)};
                write_if_changed(parts_dir / file, stub_source(file, "did not compile; the grader used a stub"));
                stubbed_any = true;
            }
        if (stubbed_any) built = build();
    }
    // Still failing (a link error, say): stub the remaining submitted files one at a time.
    for (const std::string& file : kStudentFiles) {
        if (built) break;
        if (files[file].stubbed) continue;
        files[file] = {true, "did not build with the rest (a link error?); the grader used a stub"};
        write_if_changed(parts_dir / file, stub_source(file, "did not link; the grader used a stub"));
        built = build();
    }
    if (!built)
        throw std::runtime_error("the grading build fails even with every Part stubbed: see " + build_log.string());

    // 3. Each Part in its own process.
    const fs::path exe = build_dir / "hd_grade_tests";
    std::vector<PartResult> results;
    for (const PartInfo& part : parts()) {
        if (part.file.empty()) continue;
        std::printf("hd grade: running the Part %d tests\n", part.number);
        std::fflush(stdout);
        results.push_back(run_part(part, exe, results_dir, options.timeout, files[part.file]));
    }

    // 4. The tracker and results.json.
    std::string tracker = "Progress tracker\n";
    double total = 0.0;
    for (const PartResult& part : results) {
        total += part.score;
        tracker += fmt::format("  {} Part {}: {:<24} {:5.1f}/{:.0f}  {}\n", part.passed ? "✓" : "✗", part.info->number,
                               part.info->title, part.score, kPointsPerPart, part.reason);
    }
    const bool trained = fs::exists("checkpoints/model_a.safetensors") && fs::exists("checkpoints/model_b.safetensors");
    const bool evaluated =
        fs::exists("evaluation/model_a/metrics.json") && fs::exists("evaluation/model_b/metrics.json");
    tracker += fmt::format("  {} Part 6: {:<24}   (not scored)  {}\n", trained ? "✓" : "✗", parts()[5].title,
                           trained ? "checkpoints/model_a.safetensors and model_b.safetensors exist"
                                   : "no checkpoints/model_a.safetensors and model_b.safetensors here: run "
                                     "hd train --model flat --epochs 50, then --model hierarchical");
    tracker += fmt::format("  {} Part 7: {:<24}   (not scored)  {}\n", evaluated ? "✓" : "✗", parts()[6].title,
                           evaluated ? "evaluation/model_a and model_b hold metrics.json"
                                     : "no evaluation/model_{a,b}/metrics.json here: run hd evaluate --model_path "
                                       "checkpoints/model_a.safetensors (and model_b)");
    total = std::round(total * 100.0) / 100.0;
    const double max_score = kPointsPerPart * static_cast<double>(results.size());
    tracker += fmt::format("Score: {:.2f} / {:.0f}\n", total, max_score);

    nlohmann::json tests = nlohmann::json::array();
    for (const PartResult& part : results) {
        const double each = part.tests.empty() ? 0.0 : kPointsPerPart / static_cast<double>(part.tests.size());
        int index = 0;
        for (const TestResult& test : part.tests) {
            std::string output = test.output;
            if (output.size() > 4000) output = output.substr(0, 4000) + "\n[… cut]";
            tests.push_back({{"name", test.name},
                             {"number", fmt::format("{}.{}", part.info->number, ++index)},
                             {"score", test.passed ? each : 0.0},
                             {"max_score", each},
                             {"status", test.passed ? "passed" : "failed"},
                             {"output", output},
                             {"tags", {fmt::format("part{}", part.info->number)}},
                             {"visibility", test.hidden ? "after_due_date" : "visible"}});
        }
        if (part.tests.empty())
            tests.push_back({{"name", fmt::format("Part {}: {}", part.info->number, part.info->title)},
                             {"score", 0.0},
                             {"max_score", kPointsPerPart},
                             {"status", "failed"},
                             {"output", part.reason},
                             {"visibility", "visible"}});
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const nlohmann::json report = {{"score", total},
                                   {"execution_time", static_cast<int>(std::lround(seconds))},
                                   {"output", tracker},
                                   {"visibility", "visible"},
                                   {"stdout_visibility", "hidden"},
                                   {"tests", tests}};
    const fs::path output = fs::absolute(options.output);
    if (output.has_parent_path()) fs::create_directories(output.parent_path());
    write_file_atomic(output.string(), report.dump(2) + "\n");

    std::printf("\n%s", tracker.c_str());
    std::printf("results: %s   logs: %s\n", output.c_str(), results_dir.c_str());
}

}  // namespace

void add_grade_command(CLI::App& app) {
    auto options = std::make_shared<Options>();
    auto* command = app.add_subcommand(
        "grade", "Grade a homework folder Part by Part (public + hidden tests), print the progress tracker and write "
                 "Gradescope's results.json");
    command->add_option("--submission", options->submission,
                        "Folder holding image_denoiser.cpp, latent_prior.cpp, metrics.cpp (default: the tree's homework/)");
    command->add_option("--hidden-tests,--hidden_tests", options->hidden_tests,
                        "Folder of extra test .cpp files (instructor tests, e.g. tests/hidden)");
    command->add_option("--output", options->output, "Where to write Gradescope's results.json")
        ->capture_default_str();
    command->add_option("--timeout", options->timeout, "Time limit per Part, in seconds")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command->add_option("--source-dir,--source_dir", options->source_dir,
                        "The hdiff source tree to build against (default: the one hd was built from)");
    command->add_option("--build-dir,--build_dir", options->build_dir,
                        "The grading build folder, reused between runs (default: <tree>/build-grade)");
    command->add_option("--march", options->march,
                        "CPU the grading build targets: an -march value, 'native' (this machine only) or 'none'")
        ->capture_default_str();
    command->callback([options] { grade(*options); });
}

}  // namespace hd::cli
