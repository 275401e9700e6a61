// latent_prior.cpp — Part 2 of the homework: the forward pass of the latent prior.
//
// Read homework/README.md (Part 2) first. Run this Part's tests with
//     ./build/tests/hd_tests "[part2]"
//
// This file compiles with warnings on (-Wall -Wextra -Wunused-parameter): read them.
// "unused parameter 'condition'" means an input never reaches your result.
#include "autograd/ops.h"
#include "homework/provided/models.h"
#include "homework/provided/not_implemented.h"

namespace hd {

// -------------------------------------------------------------------------------------
// PART 2 — LatentPrior::forward                                         (★★★, 1–2 hours)
//
// Model B first samples a semantic code z1 ∈ R² (dog, cat, car or truck — each a fixed
// point on the unit circle, its "anchor") given the category z2, and only then draws an
// image for that z1. The prior p(z1 | z2) is itself a small diffusion model: it learns
// to denoise a noisy 2-D point z1_t back towards an anchor of the right category, so
// the same DDPM math as for images runs here in two dimensions.
//
// Inputs:   z1_t       (B, L)   noisy latent points, L = options.latent_dim = 2
//           t          (B)      timesteps, as floats in [0, T-1]
//           condition  (B, D)   one-hot z2
// Output:   the predicted noise, (B, L)
//
// What to do:
//   1. time_emb      = time_embed->forward(t)                 (B, E)
//   2. condition_emb = condition_embed->forward(condition)    (B, E)
//   3. input = concat({z1_t, time_emb, condition_emb}, 1)     (B, L + E + E)
//      — in exactly this order: the MLP's first layer was built for it
//   4. return mlp->forward(input)                             (B, L)
//
// Ops you may need: hd::concat (autograd/ops_shape.h).
// -------------------------------------------------------------------------------------
Tensor LatentPrior::forward(const Tensor& z1_t, const Tensor& t, const Tensor& condition) {
    // BEGIN PART 2
    throw NotImplemented("Part 2: LatentPrior::forward (homework/latent_prior.cpp)", z1_t, t, condition);
    // END PART 2
}

}  // namespace hd
