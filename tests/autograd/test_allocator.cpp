// Tests for autograd/allocator.h: blocks are aligned, freed blocks are reused, the
// cache can be released, and concurrent use from OpenMP threads is safe.
#include "autograd/allocator.h"
#include "autograd/ops.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

using namespace hd;

TEST_CASE("allocated blocks are 64-byte aligned at every size", "[allocator]") {
    for (size_t bytes : {1ul, 4ul, 63ul, 64ul, 100ul, 1025ul, 4096ul, 100000ul, 3ul << 20}) {
        CAPTURE(bytes);
        void* block = allocate_block(bytes);
        CHECK(reinterpret_cast<uintptr_t>(block) % 64 == 0);
        std::memset(block, 0xab, bytes); // the whole requested size is writable
        free_block(block, bytes);
    }
}

// The caching tests skip themselves when caching is off (HD_CACHE_LIMIT_MB=0, AddressSanitizer).
TEST_CASE("a freed block is reused by the next request of its size class", "[allocator]") {
    if (allocator_stats().cache_limit_bytes == 0) return;
    const size_t bytes = 123457 * sizeof(float);
    void* first = allocate_block(bytes);
    free_block(first, bytes);
    const AllocatorStats before = allocator_stats();
    void* second = allocate_block(bytes - 8); // same size class
    CHECK(second == first);
    CHECK(allocator_stats().cache_hits == before.cache_hits + 1);
    free_block(second, bytes - 8);
}

TEST_CASE("a training-like loop stops asking the system for memory after its first step", "[allocator]") {
    if (allocator_stats().cache_limit_bytes == 0) return;
    Tensor w = Tensor::ones({64, 64}, true);
    auto step = [&] {
        Tensor x = Tensor::full({256, 64}, 0.5f);
        Tensor loss = mean(silu(matmul(x, w)));
        loss.backward();
        w.zero_grad();
    };
    step();
    const int64_t misses = allocator_stats().cache_misses;
    for (int i = 0; i < 10; ++i) step();
    CHECK(allocator_stats().cache_misses == misses);
}

TEST_CASE("release_cached_memory empties the cache", "[allocator]") {
    if (allocator_stats().cache_limit_bytes == 0) return;
    void* block = allocate_block(1 << 20);
    free_block(block, 1 << 20);
    CHECK(allocator_stats().cached_bytes >= (1u << 20));
    release_cached_memory();
    CHECK(allocator_stats().cached_bytes == 0);
}

TEST_CASE("allocation from many OpenMP threads at once is safe", "[allocator]") {
    std::vector<int> failures(64, 0);
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < 64; ++i) {
        for (int k = 0; k < 50; ++k) {
            const size_t bytes = size_t(1000 + 37 * ((i + k) % 11)) * sizeof(float);
            float* block = static_cast<float*>(allocate_block(bytes));
            for (size_t j = 0; j < bytes / sizeof(float); ++j) block[j] = float(i);
            for (size_t j = 0; j < bytes / sizeof(float); ++j) failures[i] += block[j] != float(i);
            free_block(block, bytes);
        }
    }
    for (int f : failures) CHECK(f == 0);
}
