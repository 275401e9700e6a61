// build.h — the grading build: a small generated CMake project in <work>/project that
// builds, from the hdiff source tree,
//   hd_grade_names   every test with the shipped stubs (homework/*.cpp) and no student
//                    code: the list of tests comes from here, so a submission cannot hide one;
//   hd_grade_public  the public Part tests + the student's three objects;
//   hd_grade_hidden  the hidden tests + the same objects (a separate executable, so a
//                    public test, whose output students see, never has hidden test code
//                    in its address space).
// The student's files are compiled on their own first (in the sandbox, see runner.h),
// checked (object_check.h), and only then copied into <work>/objects, which the project
// links; a file that does not compile, is refused or does not link is replaced by the
// object of the shipped stub of the same file, so only that file's Parts fail.
#pragma once

#include "grader/runner.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hd::grade {

namespace fs = std::filesystem;

/// The three files a submission consists of, in Part order.
const std::vector<std::string>& student_files();

/// The folders of one grading build folder (created by make_workspace).
struct Workspace {
    fs::path root, project, build, objects, cache, sandbox, results;
};

/// Creates the folders; `sandbox` becomes the sandbox user's (when enabled), the others ours.
Workspace make_workspace(const fs::path& root, const Sandbox& sandbox);

/// What goes into the build.
struct BuildInputs {
    fs::path tree;          // the hdiff source tree
    fs::path hidden_tests;  // "" : public tests only
    std::string march = "x86-64-v3";
    double deadline_seconds = 1800.0; // for each cmake/ninja run
};

/// What happened to one student file on its way into the build.
struct FileState {
    bool stubbed = false;
    std::string reason; // "did not compile: …", "was refused: uses exit(), …", "is missing …"
};

/// A build step that failed (cmake or ninja); its log is in <work>/build.log.
struct BuildError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Writes the project, configures it and builds hd_grade_names (no student code).
void build_names(const Workspace& work, const BuildInputs& inputs);

/// Compiles the submitted files (those present in `submission`) in the sandbox, checks
/// them, and puts the chosen objects (the student's or the stub's) into work.objects.
std::map<std::string, FileState> prepare_objects(const Workspace& work, const BuildInputs& inputs,
                                                 const fs::path& submission, const Sandbox& sandbox);

/// Links hd_grade_public (and hd_grade_hidden); a file the linker blames is replaced by
/// its stub and the link retried. Updates `files`.
void link_tests(const Workspace& work, const BuildInputs& inputs, std::map<std::string, FileState>& files);

/// The first line of a compiler or linker log that says what went wrong about `file`.
std::string first_problem(const std::string& log, const std::string& file);

/// Every header a Part file can include (under autograd/, nn/, diffusion/, homework/ of
/// `tree`), paths and contents, in path order: part of every cached object's key, so that
/// an object compiled against older headers (another member layout of ImageDenoiser, say)
/// is never linked against newer ones.
std::string framework_headers(const fs::path& tree);

/// Splits a compile command the way a shell would (spaces, double and single quotes, backslashes).
std::vector<std::string> split_command(const std::string& command);

}  // namespace hd::grade
