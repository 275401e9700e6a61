// composed_ops.cpp — see composed_ops.h.
#include "tests/support/composed_ops.h"

namespace hd::test {

Tensor group_norm_composed(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps) {
    const int64_t B = x.size(0), C = x.size(1);
    Tensor grouped = reshape(x, {B, groups, -1});
    Tensor mu = mean(grouped, {2}, true);
    Tensor centred = grouped - mu;
    Tensor var = mean(centred * centred, {2}, true);
    Tensor normalised = reshape(centred / sqrt(var + eps), x.shape());
    Shape channel_shape(x.dim(), 1);
    channel_shape[1] = C;
    return normalised * reshape(gamma, channel_shape) + reshape(beta, channel_shape);
}

Tensor silu_composed(const Tensor& x) { return mul(x, sigmoid(x)); }

}  // namespace hd::test
