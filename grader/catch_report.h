// catch_report.h — a Catch2 XML report (v2's `-r xml`, which v3 keeps) read into
// structured results: for each test case, whether it finished and passed, and each
// failure as a kind plus its text, so that a reason is chosen by kind, never by
// searching the prose of a message.
//
// What it does not do: trust the report. It only parses; whether a test counts as passed
// is decided by the grader's runner (grader/runner.h), which also wants exit status 0.
#pragma once

#include <string>
#include <vector>

namespace hd::grade {

/// One failed assertion, or what ended a test case early.
struct Failure {
    enum class Kind { expression, message, exception, fatal };
    Kind kind = Kind::message;
    std::string text;    // "CHECK( a == b ) failed, with 1 == 2", a FAIL message, an exception's what()
    std::string context; // the section names and INFO/CAPTURE lines in force, one per line
};

/// One test case as the report recorded it.
struct CaseReport {
    std::string name;
    bool finished = false; // an <OverallResult> was written (false: the run died, or the report was cut)
    bool passed = false;
    std::vector<Failure> failures;
};

/// Reads a Catch2 XML report, also one cut off by a crash, a timeout or a size cap.
std::vector<CaseReport> parse_catch_xml(const std::string& xml);

/// The failure as a single readable line (kind prefix, first line of the text, at most `width` characters).
std::string one_line(const Failure& failure, size_t width = 200);

/// The failure with its context, as the output Gradescope shows for a test.
std::string describe(const Failure& failure);

}  // namespace hd::grade
