// Tests for the paths of sum's kernel (ops_reduce.cpp) against a naive reference: the
// last-axis lane sums, the single long sum, the middle-axis column blocks, and runs of
// adjacent axes summed in one pass — at awkward sizes, and bitwise across thread counts.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <omp.h>

using namespace hd;
using test::random_input;

namespace {
// Σ over `axes` with plain nested loops in double: the reference for sum().
Tensor sum_reference(const Tensor& x, const std::vector<int64_t>& axes) {
    Shape kept = x.shape();
    for (int64_t a : axes) kept[a] = 1;
    std::vector<double> acc(numel_of(kept), 0.0);
    const int64_t rank = x.dim();
    std::vector<int64_t> index(rank, 0);
    for (int64_t i = 0; i < x.numel(); ++i) {
        int64_t out = 0;
        for (int64_t d = 0; d < rank; ++d) out = out * kept[d] + (kept[d] == 1 ? 0 : index[d]);
        acc[out] += x.data()[i];
        for (int64_t d = rank - 1; d >= 0; --d) {
            if (++index[d] < x.shape()[d]) break;
            index[d] = 0;
        }
    }
    std::vector<float> values(acc.begin(), acc.end());
    return Tensor::from_vector(values, kept);
}

struct Case {
    Shape shape;
    std::vector<int64_t> axes;
};
const std::vector<Case> kCases = {
    {{3, 5, 7, 9}, {2, 3}},   // merged trailing run (a (B,C,1,1) broadcast's gradient)
    {{3, 5, 7, 9}, {1, 2}},   // merged middle run
    {{3, 5, 7, 9}, {0, 2, 3}}, // two runs
    {{300, 301}, {0}},        // first axis, wide rows: column blocks (a bias gradient)
    {{257, 130}, {0}},        // first axis, column count not a multiple of the block
    {{1000, 77}, {1}},        // last axis, rows not a multiple of the lanes
    {{70001}, {0}},           // one long sum: chunks
    {{2, 40000}, {1}},        // long rows
};
}  // namespace

TEST_CASE("sum matches a naive double-precision reference on every kernel path", "[reduce]") {
    for (const Case& c : kCases) {
        CAPTURE(shape_str(c.shape), c.axes);
        Tensor x = random_input(c.shape, 71).detach();
        test::require_close(sum(x, c.axes, true), sum_reference(x, c.axes), 1e-3f, 1e-5f);
    }
}

TEST_CASE("a run of adjacent axes summed at once equals summing them one by one", "[reduce]") {
    Tensor x = random_input({4, 6, 5, 3}, 72).detach();
    test::require_close(sum(x, {1, 2}), sum(sum(x, {2}), {1}), 1e-5f, 1e-5f);
    test::require_close(sum(x, {2, 3}, true), sum(sum(x, {3}, true), {2}, true), 1e-5f, 1e-5f);
}

TEST_CASE("every sum path is bitwise identical with 1 and 2 threads", "[reduce]") {
    const int threads = omp_get_max_threads();
    for (const Case& c : kCases) {
        CAPTURE(shape_str(c.shape), c.axes);
        Tensor x = random_input(c.shape, 73).detach();
        omp_set_num_threads(1);
        std::vector<float> one = sum(x, c.axes).to_vector();
        omp_set_num_threads(2);
        std::vector<float> two = sum(x, c.axes).to_vector();
        omp_set_num_threads(threads);
        CHECK(one == two);
    }
}
