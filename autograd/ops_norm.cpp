// ops_norm.cpp — group_norm and group_norm_silu, forward and backward.
//
// Shapes: B batch, C channels, G groups, S spatial size (H·W, or any trailing axes),
// N = (C/G)·S elements per (sample, group).
//
// Both ops run one kernel pair: group_norm_forward_kernel / group_norm_backward_kernel,
// with a flag that applies SiLU after the affine step (forward) and differentiates it
// (backward). One OpenMP loop over the B·G (sample, group) blocks; each block is
// owned by one thread, and every sum inside it runs in a fixed order (double lanes,
// vector_math.h), so results do not depend on the thread count. The naive reference
// kernel, group_norm_reference, sits beside them; its test compares all three.
#include "autograd/ops_norm.h"

#include "autograd/autograd.h"
#include "autograd/vector_math.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace hd {

namespace {

struct GroupNormShape {
    int64_t B = 0, C = 0, S = 0, groups = 0, Cg = 0, N = 0;
};

GroupNormShape check_group_norm(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta,
                                const char* op) {
    if (x.dim() < 2 || groups < 1 || x.size(1) % groups != 0)
        throw ShapeError(fmt::format("{}: input {} cannot be split into {} groups along axis 1 "
                                     "(the channel count must be divisible by the group count)",
                                     op, shape_str(x.shape()), groups));
    GroupNormShape s;
    s.B = x.size(0), s.C = x.size(1), s.groups = groups, s.Cg = s.C / groups;
    s.S = s.B * s.C == 0 ? 0 : x.numel() / (s.B * s.C);
    s.N = s.Cg * s.S;
    if (gamma.shape() != Shape{s.C} || beta.shape() != Shape{s.C})
        throw ShapeError(fmt::format("{}: gamma {} and beta {} should both have shape ({})", op,
                                     shape_str(gamma.shape()), shape_str(beta.shape()), s.C));
    return s;
}

// x: (B,C,S), gamma, beta: (C) -> y: (B,C,S), mean, rstd: (B,G)
//   y = a(x̂ · gamma[c] + beta[c]),  x̂ = (x - μ) · rstd,  a = SiLU if with_silu else identity
void group_norm_forward_kernel(const GroupNormShape& s, bool with_silu, float eps, const float* x, const float* gamma,
                               const float* beta, float* y, float* mean, float* rstd) {
#pragma omp parallel for schedule(static) if (s.B * s.C * s.S >= (1 << 14))
    for (int64_t bg = 0; bg < s.B * s.groups; ++bg) {
        // 1. μ and σ² of this (sample, group), two passes in double: the group can hold 10⁵ values.
        const float* xs = x + bg * s.N;
        const double mu = s.N ? sum_in_lanes(xs, s.N) / s.N : 0.0;
        const double var = s.N ? sum_squared_deviations_in_lanes(xs, s.N, mu) / s.N : 0.0;
        const float r = static_cast<float>(1.0 / std::sqrt(var + eps));
        mean[bg] = static_cast<float>(mu);
        rstd[bg] = r;
        // 2. y = x · scale + shift (then SiLU), one channel (a contiguous run of S values) at a time.
        const int64_t c0 = (bg % s.groups) * s.Cg;
        for (int64_t c = 0; c < s.Cg; ++c) {
            const float scale = r * gamma[c0 + c], shift = beta[c0 + c] - static_cast<float>(mu) * scale;
            const float* xc = xs + c * s.S;
            float* yc = y + bg * s.N + c * s.S;
            if (with_silu) {
#pragma omp simd
                for (int64_t i = 0; i < s.S; ++i) {
                    const float pre = xc[i] * scale + shift;
                    yc[i] = pre * sigmoid_vectorizable(pre);
                }
            } else {
#pragma omp simd
                for (int64_t i = 0; i < s.S; ++i) yc[i] = xc[i] * scale + shift;
            }
        }
    }
}

// grad_y: (B,C,S) -> grad_x: (B,C,S) (may be null), grad_gamma, grad_beta: (C) (may be null)
//   forward was p = x̂ · γ[c] + β[c], y = a(p)  =>  g = grad_y · a'(p)  (a' = 1 without SiLU,
//     σ(p)(1 + p(1 - σ(p))) with it), and then
//   grad_β[c] = Σ_{b,s} g,   grad_γ[c] = Σ_{b,s} g · x̂
//   grad_x = r · (g·γ[c] - mean_group(g·γ) - x̂ · mean_group(g·γ · x̂))
void group_norm_backward_kernel(const GroupNormShape& s, bool with_silu, const float* x, const float* gamma,
                                const float* beta, const float* mean, const float* rstd, const float* grad_y,
                                float* grad_x, float* grad_gamma, float* grad_beta) {
    // Per-(sample, channel) partial sums, added over the batch afterwards in a fixed
    // order, so grad_γ and grad_β do not depend on the thread count.
    std::vector<double> dgamma_part(s.B * s.C), dbeta_part(s.B * s.C);
#pragma omp parallel if (s.B * s.C * s.S >= (1 << 14))
    {
        std::vector<float> g_buffer(with_silu && !grad_x ? s.S : 0); // g, when grad_x cannot hold it
#pragma omp for schedule(static)
        for (int64_t bg = 0; bg < s.B * s.groups; ++bg) {
            const float mu = mean[bg], r = rstd[bg];
            const int64_t b = bg / s.groups, c0 = (bg % s.groups) * s.Cg;
            double sum_g = 0.0, sum_g_xhat = 0.0;
            // 1. Per channel: g (kept in grad_x with SiLU), Σ g and Σ g·x̂ in double lanes.
            for (int64_t c = 0; c < s.Cg; ++c) {
                const float* xc = x + bg * s.N + c * s.S;
                const float* gc = grad_y + bg * s.N + c * s.S;
                const float gam = gamma[c0 + c], scale = r * gam, shift = beta[c0 + c] - mu * scale;
                const float* g = gc;
                if (with_silu) {
                    float* g_out = grad_x ? grad_x + bg * s.N + c * s.S : g_buffer.data();
#pragma omp simd
                    for (int64_t i = 0; i < s.S; ++i) {
                        const float pre = xc[i] * scale + shift;
                        const float sig = sigmoid_vectorizable(pre);
                        g_out[i] = gc[i] * sig * (1.0f + pre * (1.0f - sig));
                    }
                    g = g_out;
                }
                double lane_g[kLanes] = {}, lane_gx[kLanes] = {};
                int64_t i = 0;
                for (; i + kLanes <= s.S; i += kLanes)
                    for (int j = 0; j < kLanes; ++j) {
                        lane_g[j] += g[i + j];
                        lane_gx[j] += g[i + j] * ((xc[i + j] - mu) * r);
                    }
                for (int j = 0; i < s.S; ++i, ++j) {
                    lane_g[j] += g[i];
                    lane_gx[j] += g[i] * ((xc[i] - mu) * r);
                }
                const double dy_sum = reduce_lanes(lane_g), dy_xhat_sum = reduce_lanes(lane_gx);
                dbeta_part[b * s.C + c0 + c] = dy_sum;
                dgamma_part[b * s.C + c0 + c] = dy_xhat_sum;
                sum_g += dy_sum * gam;
                sum_g_xhat += dy_xhat_sum * gam;
            }
            if (!grad_x) continue;
            // 2. grad_x from g (read from grad_y, or in place from grad_x with SiLU).
            const float mean_g = static_cast<float>(sum_g / s.N), mean_g_xhat = static_cast<float>(sum_g_xhat / s.N);
            for (int64_t c = 0; c < s.Cg; ++c) {
                const float* xc = x + bg * s.N + c * s.S;
                float* dx = grad_x + bg * s.N + c * s.S;
                const float* g = with_silu ? dx : grad_y + bg * s.N + c * s.S;
                const float gam = gamma[c0 + c];
#pragma omp simd
                for (int64_t i = 0; i < s.S; ++i) {
                    const float xhat = (xc[i] - mu) * r;
                    dx[i] = r * (g[i] * gam - mean_g - xhat * mean_g_xhat);
                }
            }
        }
    }
    if (!grad_gamma) return;
    for (int64_t c = 0; c < s.C; ++c) {
        double dg = 0.0, db = 0.0;
        for (int64_t b = 0; b < s.B; ++b) dg += dgamma_part[b * s.C + c], db += dbeta_part[b * s.C + c];
        grad_gamma[c] = static_cast<float>(dg);
        grad_beta[c] = static_cast<float>(db);
    }
}

// The shared body of group_norm and group_norm_silu: forward kernel, then the record.
Tensor group_norm_op(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps,
                     bool with_silu, const char* op) {
    const GroupNormShape s = check_group_norm(x, groups, gamma, beta, op);
    Tensor out = Tensor::empty(x.shape());
    Tensor mean = Tensor::empty({s.B, groups}), rstd = Tensor::empty({s.B, groups}); // saved for backward
    group_norm_forward_kernel(s, with_silu, eps, x.data(), gamma.data(), beta.data(), out.data(), mean.data(),
                              rstd.data());
    record(out, op, {x, gamma, beta}, [x, gamma, beta, mean, rstd, s, with_silu](const Tensor& grad_out) {
        // forward was y = a(x̂ · γ[c] + β[c])  =>  see group_norm_backward_kernel
        Tensor grad_x = x.requires_grad() ? Tensor::empty(x.shape()) : Tensor();
        Tensor grad_gamma, grad_beta;
        if (gamma.requires_grad() || beta.requires_grad()) {
            grad_gamma = Tensor::empty({s.C});
            grad_beta = Tensor::empty({s.C});
        }
        group_norm_backward_kernel(s, with_silu, x.data(), gamma.data(), beta.data(), mean.data(), rstd.data(),
                                   grad_out.data(), grad_x.defined() ? grad_x.data() : nullptr,
                                   grad_gamma.defined() ? grad_gamma.data() : nullptr,
                                   grad_beta.defined() ? grad_beta.data() : nullptr);
        return std::vector<Tensor>{grad_x, grad_gamma, grad_beta};
    });
    return out;
}

}  // namespace

// x: (B,C,…), gamma, beta: (C) -> (B,C,…)
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps) {
    return group_norm_op(x, groups, gamma, beta, eps, false, "group_norm");
}

// x: (B,C,…), gamma, beta: (C) -> (B,C,…)
Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps) {
    return group_norm_op(x, groups, gamma, beta, eps, true, "group_norm_silu");
}

// x: (B,C,…), gamma, beta: (C) -> (B,C,…); one (sample, group) at a time, plain loops.
Tensor group_norm_reference(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps,
                            bool with_silu) {
    const GroupNormShape s = check_group_norm(x, groups, gamma, beta, "group_norm_reference");
    Tensor out = Tensor::empty(x.shape());
    const float* px = x.data();
    float* py = out.data();
    for (int64_t bg = 0; bg < s.B * groups; ++bg) {
        double total = 0.0, total_sq = 0.0;
        for (int64_t i = 0; i < s.N; ++i) total += px[bg * s.N + i];
        const double mu = total / s.N;
        for (int64_t i = 0; i < s.N; ++i) total_sq += (px[bg * s.N + i] - mu) * (px[bg * s.N + i] - mu);
        const double r = 1.0 / std::sqrt(total_sq / s.N + eps);
        for (int64_t i = 0; i < s.N; ++i) {
            const int64_t c = (bg % groups) * s.Cg + i / s.S;
            const double p = (px[bg * s.N + i] - mu) * r * gamma.data()[c] + beta.data()[c];
            py[bg * s.N + i] = static_cast<float>(with_silu ? p / (1.0 + std::exp(-p)) : p);
        }
    }
    return out;
}

}  // namespace hd
