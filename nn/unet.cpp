// unet.cpp — see unet.h.
#include "nn/unet.h"

#include "autograd/ops.h"

#include <fmt/format.h>

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

UNet::UNet(const UNetOptions& opts, Generator& gen) : options(opts) {
    const int64_t C = opts.base_channels, E = opts.embedding_dim, G = opts.groups;
    if (C < 1 || E < 1 || G < 1 || C % G != 0)
        throw std::invalid_argument(fmt::format("UNet: base_channels {} must be a positive multiple of groups {}", C, G));
    conv_in = register_module("conv_in", make_conv(opts.in_channels, C, 3, 1, gen));
    res1 = register_module("res1", std::make_shared<ResBlock>(C, C, E, G, gen));
    down1 = register_module("down1", make_conv(C, C, 3, 2, gen));
    res2 = register_module("res2", std::make_shared<ResBlock>(C, 2 * C, E, G, gen));
    down2 = register_module("down2", make_conv(2 * C, 2 * C, 3, 2, gen));
    res3 = register_module("res3", std::make_shared<ResBlock>(2 * C, 4 * C, E, G, gen));
    mid = register_module("mid", std::make_shared<ResBlock>(4 * C, 4 * C, E, G, gen));
    up2 = register_module("up2", std::make_shared<ResBlock>(6 * C, 2 * C, E, G, gen));
    up1 = register_module("up1", std::make_shared<ResBlock>(3 * C, C, E, G, gen));
    norm_out = register_module("norm_out", std::make_shared<GroupNormSiLU>(G, C));
    conv_out = register_module("conv_out", make_conv(C, opts.out_channels, 3, 1, gen));
}

// x: (B,in,H,W), emb: (B,E) -> (B,out,H,W)
Tensor UNet::forward(const Tensor& x, const Tensor& emb) {
    if (x.dim() != 4 || x.size(1) != options.in_channels || x.size(2) % 4 != 0 || x.size(3) % 4 != 0)
        throw ShapeError(fmt::format("UNet: expected input (B,{},H,W) with H and W divisible by 4, got {}",
                                     options.in_channels, shape_str(x.shape())));
    if (emb.dim() != 2 || emb.size(0) != x.size(0) || emb.size(1) != options.embedding_dim)
        throw ShapeError(fmt::format("UNet: expected embedding ({},{}) for input {}, got {}", x.size(0),
                                     options.embedding_dim, shape_str(x.shape()), shape_str(emb.shape())));
    Tensor h = conv_in->forward(x);                                   // (B,C,H,W)
    Tensor skip1 = res1->forward(h, emb);                             // (B,C,H,W)
    Tensor skip2 = res2->forward(down1->forward(skip1), emb);         // (B,2C,H/2,W/2)
    h = res3->forward(down2->forward(skip2), emb);                    // (B,4C,H/4,W/4)
    h = mid->forward(h, emb);                                         // (B,4C,H/4,W/4)
    // concat({upsample_nearest(h, 2), skip}, 1), fused (ops_fused.h): one pass, one buffer.
    h = up2->forward(upsample_concat(h, 2, skip2), emb);              // (B,2C,H/2,W/2)
    h = up1->forward(upsample_concat(h, 2, skip1), emb);              // (B,C,H,W)
    return conv_out->forward(norm_out->forward(h));                   // conv_out(SiLU(GN(h))), (B,out,H,W)
}

}  // namespace hd
