// probe.h — where the image denoiser's noise prediction is wrong, timestep by timestep,
// on fresh images of the training distribution (`hd probe`).
//
// Besides the ε-MSE it looks at one number per image and colour channel: the mean over
// the pixels, the image's overall colour. Sampling forms x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t,
// so an error d in the mean of ε̂ becomes an error √(1−ᾱ_t)/√ᾱ_t · d in the mean colour of
// x̂_0 — large at t near T. The denoiser must therefore pass the mean of x_t through to ε̂
// almost exactly at large t (there ε ≈ x_t). The "gain" column measures how much of a
// uniform colour shift of x_t reaches ε̂'s mean, beside the gain an ideal denoiser would
// have.
#pragma once

#include <cstdint>
#include <string>

namespace hd {

struct ProbeOptions {
    std::string model_path;
    int64_t num_images = 256; // per timestep
    uint64_t seed = 0;
    bool raw_weights = false; // the trained weights instead of their EMA
};

/// Prints the table to stdout.
void run_probe(const ProbeOptions& options);

}  // namespace hd
