// The element count of a shape is a checked product: sizes that come from a file or a
// flag (a checkpoint's header, --num_samples) must fail with one line, not wrap round.
#include <catch2/catch.hpp>

#include "autograd/tensor.h"

#include <cstdint>

using namespace hd;

TEST_CASE("a shape whose element count overflows int64 is refused with one line", "[tensor]") {
    const Shape huge{int64_t{1} << 40, int64_t{1} << 40}; // 2^80 elements
    CHECK_THROWS_MATCHES(numel_of(huge), ShapeError,
                         Catch::Message("shape (1099511627776,1099511627776) has more elements than a tensor can hold"));
    CHECK_THROWS_AS(Tensor::empty({INT64_MAX, 3, 16, 16}), ShapeError);
    CHECK(numel_of({int64_t{1} << 31, int64_t{1} << 31}) == int64_t{1} << 62); // large, but it fits
    CHECK(numel_of({}) == 1);
    CHECK(numel_of({4, 0, int64_t{1} << 62}) == 0);
}
