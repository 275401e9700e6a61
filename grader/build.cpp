// build.cpp — the grading build (see build.h). The compiler runs on a student's file in the
// sandbox (runner.h): it can only read what the sandbox user may read, so an #include of a
// hidden test or a solution fails there, and the object it makes is what gets linked.
#include "grader/build.h"

#include "grader/object_check.h"
#include "nn/files.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>

namespace hd::grade {

namespace {

constexpr size_t kMaxSourceBytes = size_t{4} << 20;
constexpr size_t kMaxObjectBytes = size_t{256} << 20;

/// Writes `bytes` to `path` only if they differ, so ninja sees no change when there is none.
void write_if_changed(const fs::path& path, const std::string& bytes) {
    std::error_code error;
    if (fs::is_regular_file(path, error) && fs::file_size(path, error) == bytes.size() &&
        read_file_bounded(path.string(), kMaxObjectBytes) == bytes)
        return;
    write_file_atomic(path.string(), bytes);
}

/// Runs a trusted build tool; its output (capped) goes to <work>/<log_name>.
RunResult tool(const std::vector<std::string>& argv, const Workspace& work, const BuildInputs& inputs,
               const std::string& log_name) {
    Limits limits;
    limits.seconds = inputs.deadline_seconds;
    limits.output_bytes = size_t{4} << 20;
    const RunResult result = run(argv, limits, Sandbox{}, false);
    write_file_atomic((work.root / log_name).string(), result.output);
    return result;
}

std::string project_text(const Workspace& work, const BuildInputs& inputs) {
    std::string arch = "set(HD_NATIVE OFF CACHE BOOL \"\" FORCE)";
    if (inputs.march == "native") arch = "set(HD_NATIVE ON CACHE BOOL \"\" FORCE)";
    else if (inputs.march != "none") arch += "\nadd_compile_options(-march=" + inputs.march + ")";
    std::string objects;
    for (const std::string& file : student_files()) objects += " \"" + (work.objects / (file + ".o")).string() + "\"";
    return fmt::format(R"(# Written by `hd grade` on every run; do not edit. See grader/build.h.
cmake_minimum_required(VERSION 3.25)
project(hdiff_grade LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG")
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(HD_PARTS_DIR "{tree}/homework" CACHE PATH "" FORCE)
set(HD_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(HD_BUILD_BENCH OFF CACHE BOOL "" FORCE)
{arch}
add_subdirectory("{tree}" hdiff EXCLUDE_FROM_ALL)
find_package(Catch2 2 REQUIRED)
add_library(hd_grade_support OBJECT "{tree}/tests/support/catch_main.cpp" "{tree}/tests/support/tensor_compare.cpp")
target_link_libraries(hd_grade_support PUBLIC hd::autograd Catch2::Catch2)
file(GLOB public_tests CONFIGURE_DEPENDS "{tree}/tests/homework/*.cpp")
add_library(hd_grade_public_tests OBJECT ${{public_tests}})
target_link_libraries(hd_grade_public_tests PUBLIC hd::homework Catch2::Catch2)
set(hidden_dir "{hidden}")
set(tests hd_grade_public_tests)
if(hidden_dir)
  file(GLOB hidden_tests CONFIGURE_DEPENDS "${{hidden_dir}}/*.cpp")
  add_library(hd_grade_hidden_tests OBJECT ${{hidden_tests}})
  target_link_libraries(hd_grade_hidden_tests PUBLIC hd::homework Catch2::Catch2)
  list(APPEND tests hd_grade_hidden_tests)
endif()
add_executable(hd_grade_names)
target_link_libraries(hd_grade_names PRIVATE hd_grade_support ${{tests}} hd::homework)
# The student's objects (or the stubs'), put there by the grader after its checks.
set_source_files_properties({objects} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
add_library(hd_grade_parts STATIC "{tree}/homework/provided/models.cpp" {objects})
target_include_directories(hd_grade_parts PUBLIC "{tree}")
target_link_libraries(hd_grade_parts PUBLIC hd::diffusion)
add_executable(hd_grade_public)
target_link_libraries(hd_grade_public PRIVATE hd_grade_support hd_grade_public_tests hd_grade_parts)
if(hidden_dir)
  add_executable(hd_grade_hidden)
  target_link_libraries(hd_grade_hidden PRIVATE hd_grade_support hd_grade_hidden_tests hd_grade_parts)
endif()
)",
                       fmt::arg("tree", inputs.tree.string()), fmt::arg("hidden", inputs.hidden_tests.string()),
                       fmt::arg("arch", arch), fmt::arg("objects", objects));
}

/// The last lines of a log, for an error message.
std::string tail(const std::string& log, int lines) {
    size_t at = log.size();
    for (int i = 0; i <= lines && at != std::string::npos && at > 0; ++i) at = log.rfind('\n', at - 1);
    return at == std::string::npos ? log : log.substr(at + 1);
}

/// FNV-1a: names a cached object by its source and command (not a security boundary: the
/// cache is ours, and a collision could only give a submission some other submission's object).
std::string content_key(const std::string& text) {
    uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
    return fmt::format("{:016x}-{}", hash, text.size());
}

/// The compiler command the tree's own build uses for its homework files (target
/// hd_homework), from compile_commands.json, without its output and input.
std::vector<std::string> part_compile_command(const Workspace& work, const BuildInputs& inputs) {
    const auto entries = nlohmann::json::parse(
        read_file_bounded((work.build / "compile_commands.json").string(), size_t{64} << 20));
    const std::string models = (inputs.tree / "homework" / "provided" / "models.cpp").string();
    for (const auto& entry : entries) {
        const std::string command = entry.value("command", "");
        if (entry.value("file", "") != models || command.find("/hd_homework.dir/") == std::string::npos) continue;
        const std::vector<std::string> args = split_command(command);
        std::vector<std::string> kept;
        for (size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "-o" || args[i] == "-c" || args[i] == "-MF" || args[i] == "-MT") ++i;
            else if (args[i] != "-MD") kept.push_back(args[i]);
        }
        return kept;
    }
    throw BuildError("grade: no compile command for hd_homework in " + (work.build / "compile_commands.json").string());
}

/// The object of `source` compiled with `command`: from the cache, or compiled (in the
/// sandbox when `sandbox` is enabled) and then cached. Empty, with `log` set, when it does not compile.
std::string compile(const std::vector<std::string>& command, const fs::path& source, const std::string& name,
                    const Workspace& work, const Sandbox& sandbox, const std::string& headers, std::string& log) {
    const std::string text = read_file_bounded(source.string(), kMaxSourceBytes);
    std::string joined = headers;
    for (const std::string& arg : command) joined += arg + '\n';
    const fs::path cached = work.cache / (content_key(joined + '\0' + text) + ".o");
    if (fs::exists(cached)) return read_file_bounded(cached.string(), kMaxObjectBytes);
    const fs::path output = work.sandbox / (name + ".o");
    std::error_code ignored;
    fs::remove(output, ignored);
    std::vector<std::string> argv = command;
    argv.insert(argv.end(), {"-o", output.string(), "-c", source.string()});
    Limits limits;
    limits.seconds = 600.0;
    limits.memory_bytes = uint64_t{4} << 30;
    limits.output_bytes = size_t{256} << 10;
    limits.working_dir = work.sandbox.string();
    const RunResult result = run(argv, limits, sandbox, true);
    log = result.output;
    if (!result.ok() || !fs::is_regular_file(output)) {
        if (log.empty()) log = "the compiler " + result.describe(limits.seconds);
        return "";
    }
    const std::string object = read_file_bounded(output.string(), kMaxObjectBytes);
    fs::remove(output, ignored);
    write_file_atomic(cached.string(), object);
    return object;
}

/// Compiles the shipped stub of `file` (trusted: it runs nowhere) and returns its object.
std::string stub_object(const std::vector<std::string>& command, const std::string& file, const Workspace& work,
                        const BuildInputs& inputs, const std::string& headers) {
    std::string log;
    const std::string object = compile(command, inputs.tree / "homework" / file, "stub-" + file, work, Sandbox{}, headers, log);
    if (object.empty()) throw BuildError("grade: the shipped stub homework/" + file + " does not compile:\n" + tail(log, 10));
    return object;
}

}  // namespace

std::string framework_headers(const fs::path& tree) {
    std::vector<fs::path> headers;
    for (const char* folder : {"autograd", "nn", "diffusion", "homework"})
        for (const auto& entry : fs::recursive_directory_iterator(tree / folder))
            if (entry.is_regular_file() && entry.path().extension() == ".h") headers.push_back(entry.path());
    std::sort(headers.begin(), headers.end());
    std::string text;
    for (const fs::path& header : headers)
        text += header.string() + '\0' + read_file_bounded(header.string(), kMaxSourceBytes) + '\0';
    return text;
}

const std::vector<std::string>& student_files() {
    static const std::vector<std::string> files = {"image_denoiser.cpp", "latent_prior.cpp", "metrics.cpp"};
    return files;
}

Workspace make_workspace(const fs::path& root, const Sandbox& sandbox) {
    const fs::path absolute = fs::absolute(root);
    Workspace work{absolute, absolute / "project", absolute / "build", absolute / "objects",
                   absolute / "cache", absolute / "sandbox", absolute / "results"};
    for (const fs::path& dir : {work.root, work.project, work.build, work.objects, work.cache, work.sandbox, work.results})
        make_directory(dir.string());
    // Ours, readable by all (the sandbox user runs the tests from here); the sandbox's own folder its alone.
    fs::permissions(work.root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
    if (sandbox.enabled && chown(work.sandbox.c_str(), sandbox.uid, sandbox.gid) != 0)
        throw BuildError("grade: cannot give " + work.sandbox.string() + " to user " + sandbox.user);
    fs::permissions(work.sandbox, fs::perms::owner_all);
    return work;
}

void build_names(const Workspace& work, const BuildInputs& inputs) {
    write_if_changed(work.project / "CMakeLists.txt", project_text(work, inputs));
    for (const std::string& file : student_files())
        if (!fs::exists(work.objects / (file + ".o"))) write_file_atomic((work.objects / (file + ".o")).string(), "");
    if (!fs::exists(work.build / "build.ninja")) {
        const RunResult configured = tool({"cmake", "-S", work.project.string(), "-B", work.build.string(), "-G",
                                           "Ninja", "-DCMAKE_BUILD_TYPE=Release"},
                                          work, inputs, "configure.log");
        if (!configured.ok())
            throw BuildError("grade: configuring the grading build failed:\n" + tail(configured.output, 15));
    }
    const RunResult built = tool({"ninja", "-C", work.build.string(), "hd_grade_names"}, work, inputs, "build.log");
    if (!built.ok()) throw BuildError("grade: the grading build fails with the stubs:\n" + tail(built.output, 15));
}

std::map<std::string, FileState> prepare_objects(const Workspace& work, const BuildInputs& inputs,
                                                 const fs::path& submission, const Sandbox& sandbox) {
    const std::vector<std::string> command = part_compile_command(work, inputs);
    const std::string headers = framework_headers(inputs.tree);
    const std::set<std::string> program = defined_symbols((work.build / "hd_grade_names").string());
    std::map<std::string, FileState> files;
    for (const std::string& file : student_files()) {
        const std::string stub = stub_object(command, file, work, inputs, headers);
        write_file_atomic((work.cache / ("stub-" + file + ".o")).string(), stub);
        std::string chosen = stub, log;
        if (!fs::is_regular_file(submission / file)) {
            files[file] = {true, "is missing from the submission"};
        } else if (fs::file_size(submission / file) > kMaxSourceBytes) {
            files[file] = {true, "is larger than 4 MB"};
        } else {
            write_if_changed(work.root / "parts" / file, read_file_bounded((submission / file).string(), kMaxSourceBytes));
            const std::string object = compile(command, work.root / "parts" / file, file, work, sandbox, headers, log);
            write_file_atomic((work.results / (file + ".compile.log")).string(), log);
            const fs::path staged = work.cache / ("checking-" + file + ".o");
            if (!object.empty()) write_file_atomic(staged.string(), object);
            const auto refused = object.empty() ? std::nullopt
                                                : refusal(read_object_facts(staged.string()),
                                                          defined_symbols((work.cache / ("stub-" + file + ".o")).string()),
                                                          program);
            if (object.empty()) files[file] = {true, "did not compile: " + first_problem(log, file)};
            else if (refused) files[file] = {true, "was refused: it " + *refused};
            else chosen = object;
        }
        write_if_changed(work.objects / (file + ".o"), chosen);
    }
    return files;
}

void link_tests(const Workspace& work, const BuildInputs& inputs, std::map<std::string, FileState>& files) {
    std::vector<std::string> argv = {"ninja", "-C", work.build.string(), "-k", "0", "hd_grade_public"};
    if (!inputs.hidden_tests.empty()) argv.push_back("hd_grade_hidden");
    for (size_t attempt = 0; attempt <= student_files().size(); ++attempt) {
        const RunResult built = tool(argv, work, inputs, "build.log");
        if (built.ok()) return;
        // Blame the files the linker names; if it names none, stub the submitted files one by one.
        std::vector<std::string> blamed;
        for (const std::string& file : student_files())
            if (!files[file].stubbed && (built.output.find("(" + file + ".o)") != std::string::npos || // archive member
                                         built.output.find("\n" + file + ":(") != std::string::npos))
                blamed.push_back(file);
        for (const std::string& file : student_files())
            if (blamed.empty() && !files[file].stubbed) blamed.push_back(file);
        if (blamed.empty()) throw BuildError("grade: the grading build fails even with every Part stubbed:\n" + tail(built.output, 15));
        for (const std::string& file : blamed) {
            files[file] = {true, "did not link: " + first_problem(built.output, file)};
            write_if_changed(work.objects / (file + ".o"),
                             read_file_bounded((work.cache / ("stub-" + file + ".o")).string(), kMaxObjectBytes));
        }
    }
    throw BuildError("grade: the grading build still fails after stubbing every file");
}

std::string first_problem(const std::string& log, const std::string& file) {
    size_t begin = 0;
    std::string fallback;
    while (begin < log.size()) {
        size_t end = log.find('\n', begin);
        if (end == std::string::npos) end = log.size();
        const std::string line = log.substr(begin, end - begin);
        begin = end + 1;
        const size_t at = line.find(file);
        const bool problem = line.find("error") != std::string::npos || line.find("undefined reference") != std::string::npos ||
                             line.find("multiple definition") != std::string::npos;
        if (!problem) continue;
        std::string shown = at == std::string::npos ? line : "homework/" + line.substr(at);
        if (shown.size() > 200) shown = shown.substr(0, 197) + "...";
        if (at != std::string::npos) return shown;
        if (fallback.empty()) fallback = shown;
    }
    return fallback.empty() ? "see the build log" : fallback;
}

std::vector<std::string> split_command(const std::string& command) {
    std::vector<std::string> args;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        if (quote) {
            if (c == quote) quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < command.size()) current += command[++i];
            else current += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < command.size()) {
            current += command[++i];
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) args.push_back(current);
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (in_word) args.push_back(current);
    return args;
}

}  // namespace hd::grade
