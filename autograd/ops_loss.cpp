// ops_loss.cpp — softmax, log_softmax, mse_loss, composed from primitives: autograd
// differentiates them, so none has a backward of its own.
#include "autograd/ops_loss.h"

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"

#include <fmt/format.h>

namespace hd {

Tensor softmax(const Tensor& x, int64_t axis) {
    Tensor shifted = sub(x, amax(x, axis, true)); // amax is a constant: no gradient flows through it
    Tensor e = exp(shifted);
    return div(e, sum(e, {axis}, true));
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
    Tensor shifted = sub(x, amax(x, axis, true));
    return sub(shifted, log(sum(exp(shifted), {axis}, true)));
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets) {
    if (logits.dim() != 2 || logits.shape() != targets.shape())
        throw ShapeError(fmt::format("cross_entropy: logits {} and targets {} must both be (N, K)",
                                     shape_str(logits.shape()), shape_str(targets.shape())));
    return neg(mean(sum(mul(log_softmax(logits, 1), targets), {1})));
}

Tensor mse_loss(const Tensor& prediction, const Tensor& target) {
    if (prediction.shape() != target.shape())
        throw ShapeError(fmt::format("mse_loss: prediction {} and target {} must have the same shape",
                                     shape_str(prediction.shape()), shape_str(target.shape())));
    return mean(square(sub(prediction, target)));
}

}  // namespace hd
