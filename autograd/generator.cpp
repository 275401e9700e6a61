// generator.cpp — PCG32 and the distributions built on it (see generator.h).
#include "autograd/generator.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace hd {

namespace {
constexpr uint64_t kPcgMultiplier = 6364136223846793005ULL;
}

Generator::Generator(uint64_t seed, uint64_t stream) {
    // The reference PCG32 seeding: the increment must be odd; two steps mix the seed in.
    increment_ = (stream << 1u) | 1u;
    state_ = 0;
    next_u32();
    state_ += seed;
    next_u32();
}

uint32_t Generator::next_u32() {
    uint64_t old = state_;
    state_ = old * kPcgMultiplier + increment_;
    auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    auto rotation = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rotation) | (xorshifted << ((-rotation) & 31u));
}

float Generator::uniform() {
    return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f);
}

float Generator::uniform(float low, float high) { return low + (high - low) * uniform(); }

uint32_t Generator::integer(uint32_t n) {
    // Reject the few draws that would make the low values more likely than the high ones.
    uint32_t threshold = (-n) % n;
    for (;;) {
        uint32_t r = next_u32();
        if (r >= threshold) return r % n;
    }
}

float Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    // Box–Muller: r = sqrt(-2 ln u1), angle = 2π u2 -> (r cos, r sin) are independent N(0,1).
    // u1 is taken from (0, 1] so the log is finite.
    double u1 = (static_cast<double>(next_u32() >> 8) + 1.0) / 16777216.0;
    double u2 = static_cast<double>(next_u32() >> 8) / 16777216.0;
    double radius = std::sqrt(-2.0 * std::log(u1));
    double angle = 6.283185307179586 * u2;
    spare_ = static_cast<float>(radius * std::sin(angle));
    has_spare_ = true;
    return static_cast<float>(radius * std::cos(angle));
}

std::string Generator::state() const {
    char text[96];
    std::snprintf(text, sizeof text, "%llu %llu %d %u", static_cast<unsigned long long>(state_),
                  static_cast<unsigned long long>(increment_), has_spare_ ? 1 : 0, std::bit_cast<uint32_t>(spare_));
    return text;
}

void Generator::set_state(const std::string& text) {
    unsigned long long state = 0, increment = 0;
    int has_spare = 0;
    unsigned spare_bits = 0;
    char trailing = 0;
    if (std::sscanf(text.c_str(), "%llu %llu %d %u %c", &state, &increment, &has_spare, &spare_bits, &trailing) != 4 ||
        (increment & 1u) == 0 || (has_spare != 0 && has_spare != 1))
        throw std::invalid_argument("Generator::set_state: malformed state '" + text + "'");
    state_ = state;
    increment_ = increment;
    has_spare_ = has_spare == 1;
    spare_ = std::bit_cast<float>(static_cast<uint32_t>(spare_bits));
}

}  // namespace hd
