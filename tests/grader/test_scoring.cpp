// test_scoring.cpp — points, reasons, and what students may see of hidden tests.
#include "grader/scoring.h"
#include "grader/test_cases.h"

#include <catch2/catch.hpp>

using namespace hd::grade;

namespace {

PartResult part3(bool hidden_fails) {
    PartResult part{&parts()[2], {}, {}};
    part.tests.push_back({"Part 3: public one", false, true, false, "", ""});
    part.tests.push_back({"Part 3: public two", false, false, false, "CHECK( x ) failed, with 1", "CHECK( x ) failed, with 1"});
    part.tests.push_back({"Part 3 (hidden): secret", true, !hidden_fails, false, "SECRET MESSAGE", "SECRET MESSAGE"});
    part.tests.push_back({"Part 3 (hidden): other", true, true, false, "", ""});
    return part;
}

}  // namespace

TEST_CASE("a Part's 20 points are split evenly over public and hidden tests", "[grader]") {
    const PartResult part = part3(true);
    CHECK(part_score(part) == Approx(10.0).margin(1e-12));
    CHECK(part_score(part, /*public_only=*/true) == Approx(5.0).margin(1e-12));
    CHECK(part_max(part, false) == Approx(10.0).margin(1e-12));
    CHECK(part_max(part, true) == Approx(10.0).margin(1e-12));
}

TEST_CASE("the student's tracker never names a failing hidden test or its message", "[grader]") {
    const std::vector<PartResult> results = {part3(true)};
    const std::string student = tracker(results, {}, false), instructor = tracker(results, {}, true);
    CHECK_THAT(student, !Catch::Contains("SECRET") && !Catch::Contains("secret"));
    CHECK_THAT(student, Catch::Contains("'Part 3: public two': CHECK( x ) failed, with 1"));
    CHECK_THAT(student, Catch::Contains("Score (public tests): 5.00 / 10.00; hidden tests hold the other 10.00 points"));
    CHECK_THAT(instructor, Catch::Contains("'Part 3 (hidden): secret': SECRET MESSAGE"));
    CHECK_THAT(instructor, Catch::Contains("Score: 10.00 / 20"));
}

TEST_CASE("results.json shows hidden tests' name and points only, and their messages to instructors only", "[grader]") {
    const nlohmann::json json = results_json({part3(true)}, "tracker", 7);
    CHECK(json["score"] == Approx(10.0).margin(1e-12));
    CHECK(json["stdout_visibility"] == "hidden");
    int instructor_notes = 0;
    for (const auto& test : json["tests"]) {
        const std::string name = test["name"], visibility = test["visibility"], output = test.value("output", "");
        if (visibility == "hidden") {
            ++instructor_notes;
            CHECK(test["max_score"] == 0.0);
            CHECK(output == "SECRET MESSAGE");
        } else if (name.find("(hidden)") != std::string::npos) {
            CHECK(visibility == "after_due_date");
            CHECK(output.empty());
        } else {
            CHECK(visibility == "visible");
        }
    }
    CHECK(instructor_notes == 1);
}

TEST_CASE("stubbed Parts say why, and untouched stubs say 'not implemented yet'", "[grader]") {
    PartResult part{&parts()[0], {true, "did not compile: homework/image_denoiser.cpp:3:1: error: x"}, {}};
    part.tests.push_back({"Part 1: a", false, false, true, "unexpected exception: not implemented yet: Part 1", ""});
    CHECK(part_reason(part, false) ==
          "homework/image_denoiser.cpp did not compile: homework/image_denoiser.cpp:3:1: error: x; not implemented yet "
          "(homework/image_denoiser.cpp)");
}

TEST_CASE("the runner's verdict needs both a passing report and exit status 0", "[grader]") {
    RunResult run;
    run.exit_code = 0;
    run.report = R"(<TestCase name="t"><OverallResult success="true"/></TestCase>)";
    CHECK(judge("t", false, run, 10).passed);
    SECTION("a non-zero exit after a passing report") {
        run.exit_code = 1;
        CHECK_THAT(judge("t", false, run, 10).summary, Catch::Contains("the report says passed"));
    }
    SECTION("a report of another test") { CHECK_FALSE(judge("u", false, run, 10).passed); }
    SECTION("no report at all") {
        run.report.clear();
        CHECK_THAT(judge("t", false, run, 10).summary, Catch::Contains("without reporting it"));
    }
    SECTION("a report cut at its cap still needs its own verdict at the end") {
        run.report_cut = true;
        run.report = R"(<TestCase name="t"><Expression success="fal)" "\n<Cut/>\n" R"(e"/></TestCase>)";
        CHECK_FALSE(judge("t", false, run, 10).passed);
    }
    SECTION("a signal") {
        run.signal = 11;
        CHECK_THAT(judge("t", false, run, 10).summary, Catch::Contains("crashed"));
    }
    SECTION("the stub's exception marks the test not implemented") {
        run.exit_code = 1;
        run.report = R"(<TestCase name="t"><Exception>not implemented yet: Part 1: f</Exception><OverallResult success="false"/></TestCase>)";
        CHECK(judge("t", false, run, 10).not_implemented);
    }
}

TEST_CASE("an exact Catch2 filter escapes what filters mean", "[grader]") {
    CHECK(exact_filter("a, [b] *c") == "a\\, \\[b\\] \\*c");
}
