// image_denoiser.cpp — Part 1 of the homework: the forward pass of the image denoiser.
//
// Read homework/README.md (Part 1) first. Run this Part's tests with
//     ./build/tests/hd_tests "[part1]"
//
// This file compiles with warnings on (-Wall -Wextra -Wunused-parameter): read them.
// "unused parameter 'condition'" means an input never reaches your result.
#include "autograd/ops.h"
#include "homework/provided/models.h"
#include "homework/provided/not_implemented.h"

namespace hd {

// -------------------------------------------------------------------------------------
// PART 1 — ImageDenoiser::forward                                       (★★★, 2–3 hours)
//
// A diffusion model predicts the noise ε that was mixed into a clean image x_0:
//     x_t = √ᾱ_t · x_0 + √(1 - ᾱ_t) · ε,         and it learns  ε_θ(x_t, t, c) ≈ ε.
// To do that it must know how noisy x_t is (the timestep t) and what to draw (the
// condition c: one-hot z2 for model A, the z1 anchor for model B's decoder). Both are
// turned into vectors of width E and handed to every ResBlock of the UNet, which adds
// them to its feature maps.
//
// Inputs:   x_t        (B, 3, S, S)  noisy images
//           t          (B)           timesteps, as floats in [0, T-1]
//           condition  (B, D)        D = options.condition_dim
// Output:   the predicted noise, (B, 3, S, S) — the shape of x_t
//
// What to do:
//   1. time_emb      = time_embed->forward(t)               (B, E)
//   2. condition_emb = condition_embed->forward(condition)  (B, E)
//   3. emb           = time_emb + condition_emb             (B, E)   combine them by adding
//   4. return unet->forward(x_t, emb)                       (B, 3, S, S)
//
// Provided members: time_embed (sinusoidal → Linear → SiLU → Linear), condition_embed
// (Linear D → E), unet (the backbone). Ops you may need: hd::add or `+` (autograd/ops.h).
// -------------------------------------------------------------------------------------
Tensor ImageDenoiser::forward(const Tensor& x_t, const Tensor& t, const Tensor& condition) {
    // BEGIN PART 1
    throw NotImplemented("Part 1: ImageDenoiser::forward (homework/image_denoiser.cpp)", x_t, t, condition);
    // END PART 1
}

}  // namespace hd
