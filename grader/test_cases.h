// test_cases.h — THE CODE HERE RUNS STUDENT CODE: each test case of a Part in a process
// of its own (grader/runner.h), and the verdict the grader draws from it.
//
// A test counts as passed only if all of these hold: the process exited by itself with
// status 0 (not a signal, not our timeout); its Catch2 report — written to fd 3, a pipe
// only the grader reads, never a file — holds exactly this test case, finished, with
// success; and the report was not cut at its size cap. A test the student's run does not
// report at all counts as failed: the list of tests comes from the stub build
// (grader/build.h), not from the student's executable.
#pragma once

#include "grader/runner.h"
#include "grader/scoring.h"

#include <string>
#include <vector>

namespace hd::grade {

/// Test-case names matching a Catch2 filter, asked of the stub build `exe` (no student code).
std::vector<std::string> list_tests(const std::string& exe, const std::string& filter);

/// A Catch2 filter matching exactly the test case `name`.
std::string exact_filter(const std::string& name);

/// Runs test case `name` of `exe` in the sandbox under `limits` and judges it.
TestOutcome run_test_case(const std::string& exe, const std::string& name, bool hidden, const Limits& limits,
                          const Sandbox& sandbox);

/// The verdict on one test process: pure, so the tests can feed it made-up runs.
TestOutcome judge(const std::string& name, bool hidden, const RunResult& run, double seconds);

}  // namespace hd::grade
