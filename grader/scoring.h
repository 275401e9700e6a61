// scoring.h — from test outcomes to points, the progress tracker and Gradescope's
// results.json. Pure functions: the tests call them with made-up outcomes.
//
// Scoring: 20 points per Part (1–5), split evenly over that Part's test cases, public
// and hidden. Parts 6–7 (trained checkpoints, evaluation reports) are tracked, not scored.
// What students see (Gradescope's visibility rules, gradescope-autograders.readthedocs.io
// "Autograder Specifications"):
//   - a public test: name, points and its failure message, always ("visible");
//   - a hidden test: name and points only, after the due date ("after_due_date", output
//     empty); its failure message goes into a second entry worth 0 points that only
//     instructors see ("hidden") — and Gradescope does not show students their total
//     score while any test is hidden;
//   - the tracker (the top-level output): public tests only — its score line counts
//     public points, and it says how many points hidden tests hold, never what failed there.
// The instructor's tracker (printed by `hd grade`, which Gradescope shows instructors
// only: "stdout_visibility": "hidden") has everything.
#pragma once

#include "grader/build.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace hd::grade {

/// One test case's verdict, from the grader's runner.
struct TestOutcome {
    std::string name;
    bool hidden = false;
    bool passed = false;
    bool not_implemented = false; // failed with the stub's NotImplemented exception
    std::string summary;          // one line: why it failed
    std::string details;          // what Gradescope shows for it (failures with context, its output)
};

/// A Part of the handout.
struct PartInfo {
    int number;
    std::string title; // the handout's tracker line
    std::string file;  // the student file it lives in ("" for Parts 6–7)
};
const std::vector<PartInfo>& parts();

constexpr double kPointsPerPart = 20.0;

struct PartResult {
    const PartInfo* info = nullptr;
    FileState file;
    std::vector<TestOutcome> tests;
};

/// Points earned by the tests of `part` that pass; only the public ones when `public_only`.
double part_score(const PartResult& part, bool public_only = false);
/// Points the (public or hidden) tests of `part` are worth.
double part_max(const PartResult& part, bool hidden);

/// The tracker line's reason: the stubbed file, "not implemented yet", "k of n … pass", or
/// the first failing test and its one-line failure. The student's version (`instructor`
/// false) never names a hidden test or its failure.
std::string part_reason(const PartResult& part, bool instructor);

/// What Parts 6–7 found in the working folder.
struct Progress {
    bool trained = false, evaluated = false;
};

/// The handout's progress tracker, Parts 1–7, with the score line.
std::string tracker(const std::vector<PartResult>& results, const Progress& progress, bool instructor);

/// Gradescope's results.json.
nlohmann::json results_json(const std::vector<PartResult>& results, const std::string& student_tracker, int seconds);

}  // namespace hd::grade
