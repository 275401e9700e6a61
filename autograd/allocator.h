// allocator.h — where Storage gets its memory: a size-bucketed caching allocator.
//
// A training step allocates and frees the same few hundred buffers every step, many
// of them megabytes. glibc serves blocks that large with mmap and returns them with
// munmap, so without a cache every step page-faults its way through fresh zeroed
// pages (tens of thousands of faults per UNet step). Here a freed block goes to a
// free list keyed by its size class, and the next request of that class reuses it.
//
// Size classes: multiples of 64 bytes up to 1 KiB, then four classes per power of
// two (a block is at most 25% larger than asked for). Every block is 64-byte aligned.
// Thread-safe (one mutex; allocations are per op, not per element).
//
// The cache holds at most cache_limit_bytes (HD_CACHE_LIMIT_MB in the environment,
// default 4096; 0 turns caching off); a block that would exceed it is freed instead.
// Under AddressSanitizer the cache is off, so use-after-free is still caught.
//
// What it does not do: give memory back by itself. release_cached_memory() does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hd {

/// A 64-byte aligned block of at least `bytes` bytes (from the cache when possible).
void* allocate_block(size_t bytes);
/// Returns a block from allocate_block (with the same `bytes`) to the cache.
void free_block(void* block, size_t bytes);
/// Frees every cached block back to the system.
void release_cached_memory();

struct AllocatorStats {
    size_t cached_bytes = 0;  // in free lists, ready for reuse
    size_t live_bytes = 0;    // handed out and not yet freed
    int64_t cache_hits = 0;   // requests served from the cache
    int64_t cache_misses = 0; // requests that went to the system
    size_t cache_limit_bytes = 0; // 0: caching is off (HD_CACHE_LIMIT_MB=0, or AddressSanitizer)
};
AllocatorStats allocator_stats();

}  // namespace hd
