// part1_batch_mean_condition.cpp — MUTANT of solutions/image_denoiser.cpp (instructor only): averages the condition embedding over the batch
// scripts/mutation_check.sh checks that the public [part1] tests fail on it.
#include "autograd/ops.h"
#include "homework/provided/models.h"

namespace hd {

// x_t: (B,3,S,S), t: (B), condition: (B,D) -> (B,3,S,S)
Tensor ImageDenoiser::forward(const Tensor& x_t, const Tensor& t, const Tensor& condition) {
    // BEGIN PART 1
    Tensor emb = time_embed->forward(t) + mean(condition_embed->forward(condition), {0}, true); // (B,E)
    return unet->forward(x_t, emb);
    // END PART 1
}

}  // namespace hd
