// part2_returns_z1.cpp — MUTANT of solutions/latent_prior.cpp (instructor only): returns z1_t: the MLP output is thrown away
// scripts/mutation_check.sh checks that the public [part2] tests fail on it.
#include "autograd/ops.h"
#include "homework/provided/models.h"

namespace hd {

// z1_t: (B,L), t: (B), condition: (B,D) -> (B,L)
Tensor LatentPrior::forward(const Tensor& z1_t, const Tensor& t, const Tensor& condition) {
    // BEGIN PART 2
    Tensor input = concat({z1_t, time_embed->forward(t), condition_embed->forward(condition)}, 1); // (B, L+E+E)
    mlp->forward(input);
    return z1_t;
    // END PART 2
}

}  // namespace hd
