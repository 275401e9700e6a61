// ops_norm.cpp — group_norm forward and backward.
//
// Shapes: B batch, C channels, G groups, S spatial size (H·W, or any trailing axes),
// N = (C/G)·S elements per (sample, group).
#include "autograd/ops_norm.h"

#include "autograd/autograd.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace hd {

// x: (B,C,…), gamma, beta: (C) -> (B,C,…)
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps) {
    if (x.dim() < 2 || groups < 1 || x.size(1) % groups != 0)
        throw ShapeError(fmt::format("group_norm: input {} cannot be split into {} groups along axis 1 "
                                     "(the channel count must be divisible by the group count)",
                                     shape_str(x.shape()), groups));
    const int64_t B = x.size(0), C = x.size(1), S = x.numel() / (B * C), Cg = C / groups;
    if (gamma.shape() != Shape{C} || beta.shape() != Shape{C})
        throw ShapeError(fmt::format("group_norm: gamma {} and beta {} should both have shape ({})",
                                     shape_str(gamma.shape()), shape_str(beta.shape()), C));
    const int64_t N = Cg * S;

    Tensor out = Tensor::empty(x.shape());
    Tensor mean = Tensor::empty({B, groups}), rstd = Tensor::empty({B, groups}); // saved for backward
    const float* px = x.data();
    const float* pg = gamma.data();
    const float* pb = beta.data();
    float* py = out.data();
#pragma omp parallel for schedule(static) if (x.numel() >= (1 << 14))
    for (int64_t bg = 0; bg < B * groups; ++bg) {
        // 1. μ and σ² of this (sample, group), in double: the group can hold 10⁵ values.
        const float* xs = px + bg * N;
        double total = 0.0, total_sq = 0.0;
        for (int64_t i = 0; i < N; ++i) total += xs[i];
        const double mu = total / N;
        for (int64_t i = 0; i < N; ++i) total_sq += (xs[i] - mu) * (xs[i] - mu);
        const float r = static_cast<float>(1.0 / std::sqrt(total_sq / N + eps));
        mean.data()[bg] = static_cast<float>(mu);
        rstd.data()[bg] = r;
        // 2. y = x̂ · gamma[c] + beta[c], one channel (a contiguous run of S values) at a time.
        const int64_t c0 = (bg % groups) * Cg;
        for (int64_t c = 0; c < Cg; ++c) {
            const float scale = r * pg[c0 + c], shift = pb[c0 + c] - static_cast<float>(mu) * scale;
            const float* xc = xs + c * S;
            float* yc = py + bg * N + c * S;
#pragma omp simd
            for (int64_t i = 0; i < S; ++i) yc[i] = xc[i] * scale + shift;
        }
    }

    record(out, "group_norm", {x, gamma, beta}, [x, gamma, beta, mean, rstd, B, C, S, Cg, groups, N](const Tensor& grad_out) {
        // forward was y = x̂ · γ[c] + β[c] with x̂ = (x - μ) · r, r = 1/√(σ² + eps)  =>
        //   grad_β[c] = Σ_{b,s} grad_y,   grad_γ[c] = Σ_{b,s} grad_y · x̂
        //   grad_x = r · (g - mean_group(g) - x̂ · mean_group(g · x̂))   with g = grad_y · γ[c]
        const float* px = x.data();
        const float* pg = gamma.data();
        const float* gy = grad_out.data();
        Tensor grad_x = x.requires_grad() ? Tensor::empty(x.shape()) : Tensor();
        // Per-(sample, channel) partial sums, added over the batch afterwards in a fixed
        // order, so grad_γ and grad_β do not depend on the thread count.
        std::vector<double> dgamma_part(B * C), dbeta_part(B * C);
#pragma omp parallel for schedule(static) if (x.numel() >= (1 << 14))
        for (int64_t bg = 0; bg < B * groups; ++bg) {
            const float mu = mean.data()[bg], r = rstd.data()[bg];
            const int64_t b = bg / groups, c0 = (bg % groups) * Cg;
            double sum_g = 0.0, sum_g_xhat = 0.0;
            for (int64_t c = 0; c < Cg; ++c) {
                const float* xc = px + bg * N + c * S;
                const float* gc = gy + bg * N + c * S;
                double dy_sum = 0.0, dy_xhat_sum = 0.0;
                for (int64_t i = 0; i < S; ++i) {
                    const float xhat = (xc[i] - mu) * r;
                    dy_sum += gc[i];
                    dy_xhat_sum += gc[i] * xhat;
                }
                dbeta_part[b * C + c0 + c] = dy_sum;
                dgamma_part[b * C + c0 + c] = dy_xhat_sum;
                sum_g += dy_sum * pg[c0 + c];
                sum_g_xhat += dy_xhat_sum * pg[c0 + c];
            }
            if (!grad_x.defined()) continue;
            const float mean_g = static_cast<float>(sum_g / N), mean_g_xhat = static_cast<float>(sum_g_xhat / N);
            for (int64_t c = 0; c < Cg; ++c) {
                const float* xc = px + bg * N + c * S;
                const float* gc = gy + bg * N + c * S;
                float* dx = grad_x.data() + bg * N + c * S;
                const float gam = pg[c0 + c];
#pragma omp simd
                for (int64_t i = 0; i < S; ++i) {
                    const float xhat = (xc[i] - mu) * r;
                    dx[i] = r * (gc[i] * gam - mean_g - xhat * mean_g_xhat);
                }
            }
        }
        Tensor grad_gamma, grad_beta;
        if (gamma.requires_grad() || beta.requires_grad()) {
            grad_gamma = Tensor::zeros({C});
            grad_beta = Tensor::zeros({C});
            for (int64_t c = 0; c < C; ++c) {
                double dg = 0.0, db = 0.0;
                for (int64_t b = 0; b < B; ++b) dg += dgamma_part[b * C + c], db += dbeta_part[b * C + c];
                grad_gamma.data()[c] = static_cast<float>(dg);
                grad_beta.data()[c] = static_cast<float>(db);
            }
        }
        return std::vector<Tensor>{grad_x, grad_gamma, grad_beta};
    });
    return out;
}

}  // namespace hd
