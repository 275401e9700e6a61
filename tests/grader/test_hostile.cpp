// test_hostile.cpp — hostile submissions graded by the real `hd grade` (issue 14's attacks).
//
// Each case is the reference solutions (solutions/) with one attack added, graded into one
// shared build folder (HD_GRADE_WORK; `hd grade` locks it), and asserts the score the
// honest code in it deserves: 20 per Part whose file is honest, 0 for the attacked file's
// Parts. The first case builds the grading project (minutes); later ones recompile the
// attacked file and relink only.
#include "tests/grader/hostile_support.h"

using namespace hd::grade_test;

TEST_CASE("hostile: the reference solutions score 100 with the hidden tests", "[grader][hostile]") {
    const Graded graded = grade_submission("honest", {}, {"--hidden-tests", hidden_tests()});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(100.0).margin(1e-6));
    CHECK(graded.results["tests"].size() >= 50);
}

TEST_CASE("hostile: a report forged by a global constructor is refused, not believed", "[grader][hostile]") {
    // Before: results.json 100.0 with every Part a stub.
    const Graded graded = grade_submission("forged-report", {append("metrics.cpp", R"(
#include <unistd.h>
namespace {
struct Forger {
    Forger() {
        static const char xml[] = "<Catch><Group><TestCase name=\"any\"><OverallResult success=\"true\"/>"
                                  "</TestCase></Group></Catch>";
        if (::write(3, xml, sizeof xml - 1) >= 0) _exit(0);
    }
} forger;
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6)); // Parts 1-2 honest, Parts 3-5 the stub
    CHECK_THAT(graded.tracker(), Catch::Contains("homework/metrics.cpp was refused: it runs code before or after main"));
}

TEST_CASE("hostile: a report forged from inside a metric, then exit(0), is refused", "[grader][hostile]") {
    const Graded graded = grade_submission("forged-in-metric", {rename_and_wrap("metrics.cpp", "compute_mode_coverage", R"(
#include <unistd.h>
namespace hd {
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    static const char xml[] = "<Catch><Group><TestCase name=\"any\"><OverallResult success=\"true\"/></TestCase></Group></Catch>";
    if (::write(3, xml, sizeof xml - 1) >= 0) _exit(0);
    return honest_compute_mode_coverage(samples, z2, dataset);
}
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK_THAT(graded.tracker(), Catch::Contains("was refused: it uses"));
}

TEST_CASE("hostile: a detached process that would rewrite results.json later is refused", "[grader][hostile]") {
    // Before: the grader wrote 0, a setsid + double-fork child turned it into 100.
    const Graded graded = grade_submission("late-rewrite", {rename_and_wrap("metrics.cpp", "compute_mode_coverage", R"(
#include <cstdio>
#include <unistd.h>
namespace hd {
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            sleep(4);
            if (FILE* out = std::fopen("RESULTS", "w")) std::fputs("{\"score\": 100}", out);
        }
        _exit(0);
    }
    return honest_compute_mode_coverage(samples, z2, dataset);
}
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK_THAT(graded.tracker(), Catch::Contains("homework/metrics.cpp was refused: it uses"));
}

TEST_CASE("hostile: redefining the tests' check_value does not help wrong code", "[grader][hostile]") {
    // Before: entropy in bits plus an empty check_value went from 59.62 to 93.33.
    const Graded graded = grade_submission("helper-override", {append("metrics.cpp", R"(
#include <string>
#include <vector>
namespace hd::part_test {
struct Hint {
    double value;
    std::string explanation;
};
void check_value(const std::string&, double, double, double, const std::vector<Hint>&) {}
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK_THAT(graded.tracker(), Catch::Contains("defines hd::part_test::check_value"));
}

TEST_CASE("hostile: exiting when the grader lists the tests hides none of them", "[grader][hostile]") {
    // Before: 59 -> 39 tests counted.
    const Graded graded = grade_submission("hide-tests", {append("metrics.cpp", R"(
#include <cstdlib>
#include <fstream>
#include <string>
namespace {
struct Hider {
    Hider() {
        std::ifstream cmdline("/proc/self/cmdline");
        std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
        if (text.find("--list-test-names-only") != std::string::npos) std::exit(0);
    }
} hider;
}
)")},
                                           {"--hidden-tests", hidden_tests()});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK(graded.counted_tests() == count_test_cases_in(source_dir() + "/tests/homework") +
                                        count_test_cases_in(source_dir() + "/tests/hidden"));
}

TEST_CASE("hostile: a submission cannot #include the hidden tests", "[grader][hostile]") {
    if (!running_as_root()) {
        WARN("not root: there is no sandbox user to keep the hidden tests from");
        return;
    }
    const std::string secret = root_only_copy_of_hidden_tests();
    const Graded graded = grade_submission(
        "include-hidden",
        {append("metrics.cpp", "\n#include \"" + secret + "/test_hidden_part3.cpp\"\n")},
        {"--hidden-tests", secret});
    REQUIRE(graded.exit_code == 0);
    INFO(graded.tracker());
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK_THAT(graded.tracker(), Catch::Contains("homework/metrics.cpp did not compile"));
    // Nothing of the hidden sources reaches what students see.
    CHECK_THAT(graded.results.dump(), !Catch::Contains("REQUIRE_THROWS_AS(compute_mode_coverage"));
}

TEST_CASE("hostile: a child that starts its own session does not outlive the run", "[grader][hostile]") {
    const Graded graded = grade_submission("escape", {rename_and_wrap("metrics.cpp", "compute_conditional_entropy", R"(
#include <unistd.h>
namespace hd {
double compute_conditional_entropy(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset) {
    if (fork() == 0) {
        setsid();
        for (;;) pause();
    }
    return honest_compute_conditional_entropy(z1_samples, z2, dataset);
}
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK(processes_of_user("hdgrade") == 0);
}

TEST_CASE("hostile: a flood of output and a 200 MB failure message cost the grader little memory", "[grader][hostile]") {
    // Before: a 200 MB failure message took the grader to 1.47 GB RSS and a 1 GiB log was kept.
    const Graded graded = grade_submission(
        "flood", {rename_and_wrap("metrics.cpp", "compute_conditional_entropy", R"(
#include <iostream>
#include <string>
namespace hd {
double compute_conditional_entropy(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset) {
    const std::string line(1 << 20, 'y');
    for (int i = 0; i < 16; ++i) std::cout << line << '\n';
    return honest_compute_conditional_entropy(z1_samples, z2, dataset);
}
}
)"),
                  rename_and_wrap("metrics.cpp", "compute_kl_divergence", R"(
#include <stdexcept>
#include <string>
namespace hd {
double compute_kl_divergence(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset) {
    if (z1_samples.numel() >= 0) throw std::runtime_error(std::string(size_t{200} << 20, 'x'));
    return honest_compute_kl_divergence(z1_samples, z2, dataset);
}
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(80.0).margin(1e-6)); // Part 4 still right; Part 5 throws
    CHECK(graded.peak_rss_mib < 300.0);
    CHECK(graded.log_bytes < (size_t{16} << 20));
    CHECK(graded.results.dump().size() < (size_t{1} << 20));
}

TEST_CASE("hostile: a memory hog fails its own Part under the memory limit", "[grader][hostile]") {
    const Graded graded = grade_submission("memory-hog", {rename_and_wrap("metrics.cpp", "compute_mode_coverage", R"(
#include <cstring>
#include <memory>
#include <vector>
namespace hd {
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    std::vector<std::unique_ptr<char[]>> hoard;
    for (int i = 0; i < 64; ++i) {
        hoard.emplace_back(new char[size_t{128} << 20]);
        std::memset(hoard.back().get(), 1, size_t{128} << 20);
    }
    return honest_compute_mode_coverage(samples, z2, dataset);
}
}
)")},
                                           {"--memory-limit", "1024"});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(80.0).margin(1e-6)); // Part 3 fails (std::bad_alloc), 4-5 pass
    CHECK_THAT(graded.tracker(), Catch::Contains("bad_alloc"));
}

TEST_CASE("hostile: crash-then-stall costs one Part and at most its time", "[grader][hostile]") {
    // Before: ~24 minutes per Part at the default time limit.
    const Graded graded = grade_submission("crash-stall", {rename_and_wrap("metrics.cpp", "compute_mode_coverage", R"(
namespace hd {
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    static volatile int* nowhere = nullptr;
    if (samples.size(0) % 2 == 1) *nowhere = 1; // odd batches crash, the others stall
    for (volatile long spin = 0;; spin = spin + 1) {
    }
    return honest_compute_mode_coverage(samples, z2, dataset);
}
}
)")},
                                           {"--timeout", "8"});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(80.0).margin(1e-6));
    CHECK(graded.run_seconds < 150.0); // compile + link + the other Parts + at most 8 s of stall
}

TEST_CASE("hostile: a link error in metrics.cpp stubs metrics.cpp only", "[grader][hostile]") {
    // Before: Parts 1-2 correct + a metrics.cpp that does not link -> 0/100.
    const Graded graded = grade_submission("link-error", {rename_and_wrap("metrics.cpp", "compute_mode_coverage", R"(
namespace hd {
double helper_that_is_never_defined(double);
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    ModeCoverage coverage = honest_compute_mode_coverage(samples, z2, dataset);
    coverage.coverage_ratio = helper_that_is_never_defined(coverage.coverage_ratio);
    return coverage;
}
}
)")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(40.0).margin(1e-6));
    CHECK_THAT(graded.tracker(), Catch::Contains("homework/metrics.cpp did not link"));
}

TEST_CASE("hostile: a missing file and a file that does not compile cost their Parts only", "[grader][hostile]") {
    const Graded graded = grade_submission("missing-and-broken",
                                           {remove_file("image_denoiser.cpp"), append("latent_prior.cpp", "\nint x = ;\n")});
    REQUIRE(graded.exit_code == 0);
    CHECK(graded.score == Approx(60.0).margin(1e-6));
    CHECK_THAT(graded.tracker(), Catch::Contains("homework/image_denoiser.cpp is missing from the submission"));
    CHECK_THAT(graded.tracker(), Catch::Contains("homework/latent_prior.cpp did not compile: homework/latent_prior.cpp:"));
}
