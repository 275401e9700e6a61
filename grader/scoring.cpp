// scoring.cpp — points, the tracker and results.json (see scoring.h).
#include "grader/scoring.h"

#include <fmt/format.h>

#include <cmath>

namespace hd::grade {

namespace {

double points_per_test(const PartResult& part) {
    return part.tests.empty() ? 0.0 : kPointsPerPart / static_cast<double>(part.tests.size());
}

int count(const PartResult& part, bool hidden, bool passed_only) {
    int n = 0;
    for (const TestOutcome& test : part.tests) n += test.hidden == hidden && (!passed_only || test.passed) ? 1 : 0;
    return n;
}

/// "3 of 5 public tests pass; 'Part 3: …': CHECK( … ) failed, with …" for one kind of test.
std::string failing_reason(const PartResult& part, bool hidden) {
    const TestOutcome* first = nullptr;
    int not_implemented = 0;
    for (const TestOutcome& test : part.tests)
        if (test.hidden == hidden && !test.passed) {
            if (!first) first = &test;
            not_implemented += test.not_implemented ? 1 : 0;
        }
    const int total = count(part, hidden, false), passed = count(part, hidden, true);
    const std::string kind = hidden ? "hidden" : "public";
    if (!first) return fmt::format("{} of {} {} tests pass", passed, total, kind);
    if (passed == 0 && not_implemented == total) return fmt::format("not implemented yet (homework/{})", part.info->file);
    return fmt::format("{} of {} {} tests pass; '{}': {}", passed, total, kind, first->name, first->summary);
}

std::string round2(double value) { return fmt::format("{:.2f}", std::round(value * 100.0) / 100.0); }

}  // namespace

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

double part_score(const PartResult& part, bool public_only) {
    double score = 0.0;
    for (const TestOutcome& test : part.tests)
        if (test.passed && !(public_only && test.hidden)) score += points_per_test(part);
    return score;
}

double part_max(const PartResult& part, bool hidden) { return points_per_test(part) * count(part, hidden, false); }

std::string part_reason(const PartResult& part, bool instructor) {
    if (part.tests.empty()) return "no tests found for this Part";
    std::string reason = part.file.stubbed ? "homework/" + part.info->file + " " + part.file.reason + "; "
                                           : std::string();
    if (count(part, false, false) > 0) reason += failing_reason(part, false);
    if (instructor && count(part, true, false) > 0)
        reason += (count(part, false, false) > 0 ? " | " : "") + failing_reason(part, true);
    if (!instructor && count(part, true, false) > 0)
        reason += fmt::format(" (+{} hidden tests: results after the due date)", count(part, true, false));
    return reason;
}

std::string tracker(const std::vector<PartResult>& results, const Progress& progress, bool instructor) {
    std::string text = instructor ? "Progress tracker (instructor view: public + hidden tests)\n" : "Progress tracker\n";
    double total = 0.0, max = 0.0, hidden_max = 0.0;
    for (const PartResult& part : results) {
        const double score = part_score(part, !instructor), part_top = instructor ? kPointsPerPart : part_max(part, false);
        const bool passed = score >= part_top - 1e-9 && !part.tests.empty();
        total += score;
        max += part_top;
        hidden_max += part_max(part, true);
        text += fmt::format("  {} Part {}: {:<24} {:5.1f}/{:<4.1f}  {}\n", passed ? "✓" : "✗", part.info->number,
                            part.info->title, score, part_top, part_reason(part, instructor));
    }
    text += fmt::format("  {} Part 6: {:<24}   (not scored)  {}\n", progress.trained ? "✓" : "✗", parts()[5].title,
                        progress.trained ? "checkpoints/model_a.safetensors and model_b.safetensors exist"
                                         : "no checkpoints/model_a.safetensors and model_b.safetensors here: run "
                                           "hd train --model flat --epochs 50, then --model hierarchical");
    text += fmt::format("  {} Part 7: {:<24}   (not scored)  {}\n", progress.evaluated ? "✓" : "✗", parts()[6].title,
                        progress.evaluated ? "evaluation/model_a and model_b hold metrics.json"
                                           : "no evaluation/model_{a,b}/metrics.json here: run hd evaluate --model_path "
                                             "checkpoints/model_a.safetensors (and model_b)");
    if (instructor || hidden_max == 0.0) return text + fmt::format("Score: {} / {:.0f}\n", round2(total), max);
    return text + fmt::format("Score (public tests): {} / {}; hidden tests hold the other {} points (results after the due date)\n",
                              round2(total), round2(max), round2(hidden_max));
}

nlohmann::json results_json(const std::vector<PartResult>& results, const std::string& student_tracker, int seconds) {
    nlohmann::json tests = nlohmann::json::array();
    double total = 0.0;
    for (const PartResult& part : results) {
        const double each = points_per_test(part);
        total += part_score(part);
        int index = 0;
        for (const TestOutcome& test : part.tests) {
            const std::string number = fmt::format("{}.{}", part.info->number, ++index);
            tests.push_back({{"name", test.name}, {"number", number}, {"score", test.passed ? each : 0.0},
                             {"max_score", each}, {"status", test.passed ? "passed" : "failed"},
                             {"output", test.hidden ? "" : test.details},
                             {"tags", {fmt::format("part{}", part.info->number)}},
                             {"visibility", test.hidden ? "after_due_date" : "visible"}});
            if (test.hidden && !test.passed)
                tests.push_back({{"name", test.name + " (instructors only: why it failed)"}, {"number", number + ".x"},
                                 {"score", 0.0}, {"max_score", 0.0}, {"output", test.details}, {"visibility", "hidden"}});
        }
        if (part.tests.empty())
            tests.push_back({{"name", fmt::format("Part {}: {}", part.info->number, part.info->title)},
                             {"score", 0.0}, {"max_score", kPointsPerPart}, {"status", "failed"},
                             {"output", part_reason(part, false)}, {"visibility", "visible"}});
    }
    return {{"score", std::round(total * 100.0) / 100.0}, {"execution_time", seconds}, {"output", student_tracker},
            {"visibility", "visible"}, {"stdout_visibility", "hidden"}, {"tests", tests}};
}

}  // namespace hd::grade
