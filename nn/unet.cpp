// unet.cpp — see unet.h.
#include "nn/unet.h"

#include "autograd/ops.h"

#include <fmt/format.h>

#include <algorithm>

namespace hd {

namespace {
std::shared_ptr<Conv2d> make_conv(int64_t cin, int64_t cout, int64_t kernel, int64_t stride, Generator& gen) {
    return std::make_shared<Conv2d>(Conv2dOptions{.in_channels = cin, .out_channels = cout, .kernel_size = kernel,
                                                  .stride = stride, .padding = kernel / 2},
                                    gen);
}
}  // namespace

// ---- ResBlock ---------------------------------------------------------------------

ResBlock::ResBlock(int64_t cin, int64_t cout, int64_t emb_dim, int64_t groups, Generator& gen) {
    norm1 = register_module("norm1", std::make_shared<GroupNormSiLU>(groups, cin));
    conv1 = register_module("conv1", make_conv(cin, cout, 3, 1, gen));
    emb_proj = register_module("emb_proj", std::make_shared<Linear>(emb_dim, cout, gen));
    norm2 = register_module("norm2", std::make_shared<GroupNormSiLU>(groups, cout));
    conv2 = register_module("conv2", make_conv(cout, cout, 3, 1, gen));
    if (cin != cout) skip = register_module("skip", make_conv(cin, cout, 1, 1, gen));
}

// x: (B,cin,H,W), emb: (B,E) -> (B,cout,H,W)
Tensor ResBlock::forward(const Tensor& x, const Tensor& emb) {
    Tensor h = conv1->forward(norm1->forward(x));           // conv1(SiLU(GN(x))), (B,cout,H,W)
    Tensor e = emb_proj->forward(silu(emb));                // (B,cout)
    h = h + reshape(e, {e.size(0), e.size(1), 1, 1});       // broadcast over H×W
    h = conv2->forward(norm2->forward(h));                  // conv2(SiLU(GN(h)))
    return h + (skip ? skip->forward(x) : x);
}

// ---- UNet -------------------------------------------------------------------------

std::vector<int64_t> UNet::widths() const {
    // The bottom three levels are C, 2C, 4C; each level above halves the width.
    const int64_t L = options.levels, C = options.base_channels;
    std::vector<int64_t> w(L);
    for (int64_t k = 0; k < L; ++k) {
        const int64_t shift = k - (L - 3); // 0 at the level of width C
        w[k] = shift >= 0 ? C << shift : C >> -shift;
    }
    return w;
}

UNet::UNet(const UNetOptions& opts, Generator& gen) : options(opts) {
    const int64_t C = opts.base_channels, E = opts.embedding_dim, G = opts.groups, L = opts.levels;
    if (L < 3 || L > 8) throw std::invalid_argument(fmt::format("UNet: levels {} is not in 3..8", L));
    if (C < 1 || E < 1 || G < 1 || C % G != 0)
        throw std::invalid_argument(fmt::format("UNet: base_channels {} must be a positive multiple of groups {}", C, G));
    const std::vector<int64_t> w = widths();
    if (w.front() < G || w.front() % G != 0 || (w.front() << (L - 3)) != C)
        throw std::invalid_argument(fmt::format("UNet: with {} levels the top level's width C/{} must be a positive multiple "
                                                "of groups {} (C = {})", L, int64_t{1} << (L - 3), G, C));
    // Registration order is the parameter order a checkpoint stores (and, for L = 3, the
    // order of the original three-level net).
    conv_in = register_module("conv_in", make_conv(opts.in_channels, w[0], 3, 1, gen));
    for (int64_t k = 0; k < L; ++k) {
        const int64_t in = k == 0 ? w[0] : w[k - 1];
        res.push_back(register_module(fmt::format("res{}", k + 1), std::make_shared<ResBlock>(in, w[k], E, G, gen)));
        if (k + 1 < L) down.push_back(register_module(fmt::format("down{}", k + 1), make_conv(w[k], w[k], 3, 2, gen)));
    }
    mid = register_module("mid", std::make_shared<ResBlock>(w[L - 1], w[L - 1], E, G, gen));
    up.resize(L - 1);
    for (int64_t k = L - 2; k >= 0; --k) // from the level below: its output w[k+1] joins skip w[k]
        up[k] = register_module(fmt::format("up{}", k + 1), std::make_shared<ResBlock>(w[k + 1] + w[k], w[k], E, G, gen));
    norm_out = register_module("norm_out", std::make_shared<GroupNormSiLU>(G, w[0]));
    conv_out = register_module("conv_out", make_conv(w[0], opts.out_channels, 3, 1, gen));
    if (opts.colour_path) {
        if (opts.in_channels != opts.out_channels)
            throw std::invalid_argument("UNet: the colour path needs as many output channels as input channels");
        colour_gain = register_module("colour_gain", std::make_shared<Linear>(E, opts.out_channels, gen));
        for (Tensor* t : {&colour_gain->weight, &colour_gain->bias}) std::fill(t->data(), t->data() + t->numel(), 0.0f);
    }
}

// x: (B,in,H,W), emb: (B,E) -> (B,out,H,W)
Tensor UNet::forward(const Tensor& x, const Tensor& emb) {
    const int64_t L = options.levels, factor = int64_t{1} << (L - 1);
    if (x.dim() != 4 || x.size(1) != options.in_channels || x.size(2) % factor != 0 || x.size(3) % factor != 0)
        throw ShapeError(fmt::format("UNet: expected input (B,{},H,W) with H and W divisible by {}, got {}",
                                     options.in_channels, factor, shape_str(x.shape())));
    if (emb.dim() != 2 || emb.size(0) != x.size(0) || emb.size(1) != options.embedding_dim)
        throw ShapeError(fmt::format("UNet: expected embedding ({},{}) for input {}, got {}", x.size(0),
                                     options.embedding_dim, shape_str(x.shape()), shape_str(emb.shape())));
    std::vector<Tensor> skips;                                        // skips[k]: (B,w_k,H/2^k,W/2^k)
    Tensor h = conv_in->forward(x);                                   // (B,w_0,H,W)
    for (int64_t k = 0; k < L; ++k) {
        h = res[k]->forward(k == 0 ? h : down[k - 1]->forward(h), emb);  // (B,w_k,H/2^k,W/2^k)
        if (k + 1 < L) skips.push_back(h);
    }
    h = mid->forward(h, emb);                                         // (B,w_{L-1},H/2^(L-1),…)
    // concat({upsample_nearest(h, 2), skip}, 1), fused (ops_fused.h): one pass, one buffer.
    for (int64_t k = L - 2; k >= 0; --k) h = up[k]->forward(upsample_concat(h, 2, skips[k]), emb); // (B,w_k,…)
    Tensor out = conv_out->forward(norm_out->forward(h));             // conv_out(SiLU(GN(h))), (B,out,H,W)
    if (!colour_gain) return out;
    // + g(emb) ⊙ mean_HW(x): (B,out,1,1) ⊙ (B,in,1,1), broadcast over H×W
    Tensor gain = colour_gain->forward(silu(emb));
    return out + reshape(gain, {gain.size(0), gain.size(1), 1, 1}) * mean(x, {2, 3}, /*keepdim=*/true);
}

}  // namespace hd
