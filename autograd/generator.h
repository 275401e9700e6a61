// generator.h — the seeded random number generator behind randn/rand and the dataset.
//
// The bit stream is PCG32 (O'Neill 2014: 64-bit LCG state, XSH-RR output), fully
// specified here, so a seed gives the same numbers on every machine and compiler —
// unlike std::normal_distribution, whose algorithm the standard leaves open.
//   uniform():  the top 24 bits of one draw, times 2^-24  -> [0, 1)
//   normal():   Box–Muller on two uniforms, computed in double and rounded to float.
#pragma once

#include <cstdint>
#include <string>

namespace hd {

class Generator {
public:
    explicit Generator(uint64_t seed = 0, uint64_t stream = 54);

    /// Next 32 random bits.
    uint32_t next_u32();
    /// Uniform in [0, 1).
    float uniform();
    /// Uniform in [low, high).
    float uniform(float low, float high);
    /// Uniform integer in [0, n), n > 0 (unbiased: rejection sampling).
    uint32_t integer(uint32_t n);
    /// Standard normal N(0, 1).
    float normal();

    /// The full state as text ("state increment spare-flag spare-bits"), so a checkpoint
    /// can resume the exact random stream; restore it with set_state().
    std::string state() const;
    /// Restores a state() string; throws std::invalid_argument if it is malformed.
    void set_state(const std::string& text);

private:
    uint64_t state_ = 0;
    uint64_t increment_ = 0;
    bool has_spare_ = false; // Box–Muller makes normals in pairs
    float spare_ = 0.0f;
};

}  // namespace hd
