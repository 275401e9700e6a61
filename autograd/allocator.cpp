// allocator.cpp — the caching allocator behind Storage (see allocator.h).
#include "autograd/allocator.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace hd {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;
#else
constexpr bool kCacheEnabled = true;
#endif

// The size class of a request: 64-byte steps up to 1 KiB, then 4 steps per power of two.
size_t size_class(size_t bytes) {
    if (bytes <= 1024) return (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    const size_t top = std::bit_width(bytes - 1); // 2^(top-1) < bytes <= 2^top
    const size_t step = size_t(1) << (top - 3);
    return (bytes + step - 1) / step * step;
}

size_t limit_from_environment() {
    if (!kCacheEnabled) return 0;
    const char* text = std::getenv("HD_CACHE_LIMIT_MB");
    if (!text || !*text) return size_t(4096) << 20;
    return static_cast<size_t>(std::strtoull(text, nullptr, 10)) << 20;
}

struct Pool {
    std::mutex mutex;
    std::unordered_map<size_t, std::vector<void*>> free_lists; // size class -> cached blocks
    size_t limit = limit_from_environment();
    AllocatorStats stats;
};

// Never destroyed: Tensors in static objects may be freed after main returns.
Pool& pool() {
    static Pool* instance = new Pool();
    return *instance;
}

void* system_allocate(size_t class_bytes) {
    void* block = std::aligned_alloc(64, class_bytes);
    if (!block) throw std::bad_alloc();
    return block;
}

}  // namespace

void* allocate_block(size_t bytes) {
    const size_t class_bytes = size_class(bytes);
    if (!kCacheEnabled) return system_allocate(class_bytes);
    Pool& p = pool();
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        p.stats.live_bytes += class_bytes;
        auto found = p.free_lists.find(class_bytes);
        if (found != p.free_lists.end() && !found->second.empty()) {
            void* block = found->second.back();
            found->second.pop_back();
            p.stats.cached_bytes -= class_bytes;
            ++p.stats.cache_hits;
            return block;
        }
        ++p.stats.cache_misses;
    }
    return system_allocate(class_bytes);
}

void free_block(void* block, size_t bytes) {
    if (!block) return;
    const size_t class_bytes = size_class(bytes);
    if (!kCacheEnabled) {
        std::free(block);
        return;
    }
    Pool& p = pool();
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        p.stats.live_bytes -= class_bytes;
        if (p.stats.cached_bytes + class_bytes <= p.limit) {
            p.free_lists[class_bytes].push_back(block);
            p.stats.cached_bytes += class_bytes;
            return;
        }
    }
    std::free(block);
}

void release_cached_memory() {
    std::unordered_map<size_t, std::vector<void*>> taken;
    {
        Pool& p = pool();
        std::lock_guard<std::mutex> lock(p.mutex);
        taken.swap(p.free_lists);
        p.stats.cached_bytes = 0;
    }
    for (auto& [size, blocks] : taken)
        for (void* block : blocks) std::free(block);
}

AllocatorStats allocator_stats() {
    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    AllocatorStats stats = p.stats;
    stats.cache_limit_bytes = p.limit;
    return stats;
}

}  // namespace hd
