// test_cases.cpp — THE CODE HERE RUNS STUDENT CODE: one process per test case, judged by us.
#include "grader/test_cases.h"

#include "grader/catch_report.h"
#include "homework/provided/not_implemented.h"

#include <fmt/format.h>

namespace hd::grade {

namespace {

/// How the message of what the stubs throw begins ("not implemented yet: ").
const std::string& not_implemented_prefix() {
    static const std::string prefix = NotImplemented("").what();
    return prefix;
}

constexpr size_t kShownOutputBytes = 2000, kShownReportBytes = 4000;

/// The test's failures with their context, then the start of what it printed.
std::string details_of(const CaseReport* report, const std::string& verdict, const RunResult& run) {
    std::string text = verdict;
    if (report)
        for (size_t i = 0; i < report->failures.size() && i < 3; ++i) text += "\n" + describe(report->failures[i]);
    if (text.size() > kShownReportBytes) text = text.substr(0, kShownReportBytes) + "\n[… cut]";
    if (!run.output.empty()) {
        const bool cut = run.output.size() > kShownOutputBytes || run.output_cut;
        text += "\n--- its output" + std::string(cut ? " (the first 2000 bytes)" : "") + " ---\n" +
                run.output.substr(0, kShownOutputBytes);
    }
    return text;
}

}  // namespace

std::vector<std::string> list_tests(const std::string& exe, const std::string& filter) {
    Limits limits;
    limits.seconds = 120.0;
    limits.output_bytes = size_t{4} << 20;
    const RunResult result = run({exe, filter, "--list-test-names-only"}, limits, Sandbox{}, false);
    if (result.timed_out || result.signal != 0 || result.could_not_start || result.output_cut)
        throw std::runtime_error("grade: listing the tests of " + exe + " failed: " + result.describe(limits.seconds));
    std::vector<std::string> names;
    size_t begin = 0;
    while (begin < result.output.size()) {
        size_t end = result.output.find('\n', begin);
        if (end == std::string::npos) end = result.output.size();
        const std::string line = result.output.substr(begin, end - begin);
        if (!line.empty() && line.rfind("-- ", 0) != 0) names.push_back(line);
        begin = end + 1;
    }
    return names;
}

std::string exact_filter(const std::string& name) {
    std::string filter;
    for (char c : name) {
        if (c == ',' || c == '[' || c == ']' || c == '"' || c == '\\' || c == '*' || c == '~') filter += '\\';
        filter += c;
    }
    return filter;
}

TestOutcome run_test_case(const std::string& exe, const std::string& name, bool hidden, const Limits& limits,
                          const Sandbox& sandbox) {
    if (limits.seconds <= 0.0) {
        TestOutcome outcome{name, hidden, false, false, "not run: the time for this Part or the whole run was spent", ""};
        outcome.details = outcome.summary;
        return outcome;
    }
    const RunResult result =
        run({exe, exact_filter(name), "--reporter", "xml", "--out", "/dev/fd/3"}, limits, sandbox, true);
    return judge(name, hidden, result, limits.seconds);
}

TestOutcome judge(const std::string& name, bool hidden, const RunResult& run, double seconds) {
    TestOutcome outcome{name, hidden, false, false, "", ""};
    const std::vector<CaseReport> cases = parse_catch_xml(run.report);
    const CaseReport* report = cases.size() == 1 && cases[0].name == name ? &cases[0] : nullptr;
    const Failure* first = report && !report->failures.empty() ? &report->failures.front() : nullptr;
    if (run.interrupted) outcome.summary = "not finished: `hd grade` was interrupted";
    else if (run.timed_out) outcome.summary = "the test " + run.describe(seconds);
    else if (run.signal != 0) outcome.summary = "the test crashed: " + run.describe(seconds) + (first ? "; " + one_line(*first) : "");
    else if (!report) outcome.summary = cases.empty() ? "no result: the test process ended (" + run.describe(seconds) + ") without reporting it"
                                                      : "no result: the test process reported other tests than this one";
    else if (!report->finished) outcome.summary = "the test did not finish (" + run.describe(seconds) + ")";
    else if (first) outcome.summary = one_line(*first);
    else if (!report->passed) outcome.summary = "the test failed without an assertion message";
    else if (run.exit_code != 0) outcome.summary = "the report says passed, but the test process ended with " + run.describe(seconds);
    else outcome.passed = true;
    outcome.not_implemented = first && first->kind == Failure::Kind::exception && first->text.rfind(not_implemented_prefix(), 0) == 0;
    if (!outcome.passed) outcome.details = details_of(report, outcome.summary, run);
    if (run.report_cut) outcome.details += "\n(its report was longer than the grader keeps: only its start and end were read)";
    return outcome;
}

}  // namespace hd::grade
