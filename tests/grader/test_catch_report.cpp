// test_catch_report.cpp — reading Catch2's XML report into structured failures.
#include "grader/catch_report.h"

#include <catch2/catch.hpp>

using namespace hd::grade;

TEST_CASE("a passing test case is finished and passed, with no failures", "[grader]") {
    const auto cases = parse_catch_xml(R"(<Catch><Group><TestCase name="Part 3: a &amp; b">
      <OverallResult success="true"/></TestCase></Group></Catch>)");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0].name == "Part 3: a & b");
    CHECK(cases[0].finished);
    CHECK(cases[0].passed);
    CHECK(cases[0].failures.empty());
}

TEST_CASE("each kind of failure keeps its kind, text and context", "[grader]") {
    const auto cases = parse_catch_xml(R"(<Catch><TestCase name="t">
      <Section name="only dogs"><Info>samples: 6 dog</Info>
        <Expression success="false" type="CHECK"><Original>a == b</Original><Expanded>1 == 2</Expanded></Expression>
      </Section>
      <Failure>coverage_ratio: your value is 0, expected 0.5</Failure>
      <Exception>not implemented yet: Part 3: compute_mode_coverage</Exception>
      <FatalErrorCondition>SIGSEGV - Segmentation violation signal</FatalErrorCondition>
      <OverallResult success="false"/></TestCase></Catch>)");
    REQUIRE(cases.size() == 1);
    REQUIRE(cases[0].failures.size() == 4);
    CHECK(cases[0].failures[0].kind == Failure::Kind::expression);
    CHECK(cases[0].failures[0].text == "CHECK( a == b ) failed, with 1 == 2");
    CHECK(cases[0].failures[0].context == "[only dogs]\nsamples: 6 dog");
    CHECK(cases[0].failures[1].kind == Failure::Kind::message);
    CHECK(cases[0].failures[2].kind == Failure::Kind::exception);
    CHECK(one_line(cases[0].failures[2]) == "unexpected exception: not implemented yet: Part 3: compute_mode_coverage");
    CHECK(cases[0].failures[3].kind == Failure::Kind::fatal);
    CHECK_FALSE(cases[0].passed);
}

TEST_CASE("a report cut off inside a test case leaves it unfinished", "[grader]") {
    const auto cases = parse_catch_xml("<Catch><TestCase name=\"t\"><Exception>std::bad_al");
    REQUIRE(cases.size() == 1);
    CHECK_FALSE(cases[0].finished);
    CHECK_FALSE(cases[0].passed);
}

TEST_CASE("a passing expression is not a failure, and long lines are shortened", "[grader]") {
    const auto cases = parse_catch_xml(R"(<TestCase name="t"><Expression success="true" type="CHECK">
      <Original>x</Original><Expanded>x</Expanded></Expression><OverallResult success="true"/></TestCase>)");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0].failures.empty());
    const Failure long_one{Failure::Kind::message, std::string(500, 'z'), ""};
    CHECK(one_line(long_one, 40).size() == 40);
}
