// Tests for autograd/vector_math.h: the vectorisable exp and sigmoid against libm,
// and the double-lane sums against a plain loop.
#include "autograd/vector_math.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace hd;

TEST_CASE("exp_vectorizable is within 2 ulp of std::exp over the float range", "[vector_math]") {
    float worst = 0.0f, worst_at = 0.0f;
    for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
        const double want = std::exp(double(x));
        const float got = exp_vectorizable(x);
        const float relative = static_cast<float>(std::abs(got - want) / want);
        if (relative > worst) worst = relative, worst_at = x;
    }
    CAPTURE(worst, worst_at);
    CHECK(worst < 2.5e-7f); // 2 ulp of float is 2.4e-7 relative at worst
    CHECK(exp_vectorizable(0.0f) == 1.0f);
}

TEST_CASE("exp_vectorizable clamps instead of overflowing, and sigmoid saturates", "[vector_math]") {
    CHECK(std::isfinite(exp_vectorizable(1000.0f)));
    CHECK(exp_vectorizable(-1000.0f) >= 0.0f);
    CHECK(exp_vectorizable(-1000.0f) < 1e-37f);
    CHECK(sigmoid_vectorizable(200.0f) == 1.0f);
    CHECK(sigmoid_vectorizable(-200.0f) < 1e-37f);
    for (float x : {-20.0f, -3.0f, -0.5f, 0.0f, 0.25f, 4.0f, 17.0f}) {
        CAPTURE(x);
        CHECK(sigmoid_vectorizable(x) == Approx(1.0 / (1.0 + std::exp(-double(x)))).epsilon(1e-6).margin(1e-30));
    }
}

TEST_CASE("lane sums equal a plain double sum at every length", "[vector_math]") {
    std::vector<float> x(70);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i) * 1.7f) * 3.0f + 0.25f;
    for (int64_t n : {0, 1, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 70}) {
        CAPTURE(n);
        double plain = 0.0, plain_sq = 0.0;
        for (int64_t i = 0; i < n; ++i) plain += x[i];
        for (int64_t i = 0; i < n; ++i) plain_sq += (x[i] - 0.5) * (x[i] - 0.5);
        CHECK(sum_in_lanes(x.data(), n) == Approx(plain).epsilon(1e-12).margin(1e-12));
        CHECK(sum_squared_deviations_in_lanes(x.data(), n, 0.5) == Approx(plain_sq).epsilon(1e-12).margin(1e-12));
    }
}
