// part1_activated_embedding.cpp — MUTANT of solutions/image_denoiser.cpp (instructor only): passes SiLU(emb) instead of emb (an extra activation)
// scripts/mutation_check.sh checks that the public [part1] tests fail on it.
#include "autograd/ops.h"
#include "homework/provided/models.h"

namespace hd {

// x_t: (B,3,S,S), t: (B), condition: (B,D) -> (B,3,S,S)
Tensor ImageDenoiser::forward(const Tensor& x_t, const Tensor& t, const Tensor& condition) {
    // BEGIN PART 1
    Tensor emb = time_embed->forward(t) + condition_embed->forward(condition); // (B,E)
    return unet->forward(x_t, silu(emb));
    // END PART 1
}

}  // namespace hd
