// unet.h — the image denoiser's backbone: ResBlock and a three-level UNet.
//
// Shapes: B batch, C base channels, E embedding width, H W image size (divisible by 4).
//
//   x (B,3,H,W) ── conv_in ──────────────────────────────────── (B,C,H,W)
//     res1    ResBlock(C→C)      @H     ──────────── skip1 ─┐
//     down1   conv 3×3 stride 2         (B,C,H/2,W/2)       │
//     res2    ResBlock(C→2C)     @H/2   ──── skip2 ─┐       │
//     down2   conv 3×3 stride 2         (B,2C,H/4,W/4)      │
//     res3    ResBlock(2C→4C)    @H/4               │       │
//     mid     ResBlock(4C→4C)    @H/4               │       │
//     up ×2, concat skip2 (6C) → up2 ResBlock(6C→2C) @H/2   │
//     up ×2, concat skip1 (3C) → up1 ResBlock(3C→C)  @H  ───┘
//     norm_out (GN → SiLU) → conv_out 3×3 (C→3)  -> (B,3,H,W)
//
// Every ResBlock also reads `emb` (B,E): the time + condition embedding that Part 1
// of the homework builds.
#pragma once

#include "autograd/generator.h"
#include "nn/layers.h"

namespace hd {

/// h = conv1(SiLU(GN(x)));  h += Linear(E,cout)(SiLU(emb)) over H×W;
/// h = conv2(SiLU(GN(h)));  out = h + (conv1×1(x) if cin ≠ cout else x)
/// x: (B,cin,H,W), emb: (B,E) -> (B,cout,H,W). norm1 and norm2 are GroupNormSiLU
/// layers: SiLU(GN(·)) in one fused pass.
class ResBlock : public Module {
public:
    ResBlock(int64_t in_channels, int64_t out_channels, int64_t embedding_dim, int64_t groups, Generator& gen);
    Tensor forward(const Tensor& x, const Tensor& emb);

    std::shared_ptr<GroupNormSiLU> norm1, norm2; // SiLU(GN(·))
    std::shared_ptr<Conv2d> conv1, conv2;
    std::shared_ptr<Linear> emb_proj;
    std::shared_ptr<Conv2d> skip; // null when in_channels == out_channels
};

struct UNetOptions {
    int64_t in_channels = 3;
    int64_t out_channels = 3;
    int64_t base_channels = 32;  // C
    int64_t embedding_dim = 128; // E
    int64_t groups = 8;          // GroupNorm groups; C must be divisible by it
};

/// x: (B,in,H,W), emb: (B,E) -> (B,out,H,W); H and W divisible by 4.
class UNet : public Module {
public:
    UNet(const UNetOptions& options, Generator& gen);
    Tensor forward(const Tensor& x, const Tensor& emb);

    UNetOptions options;
    std::shared_ptr<Conv2d> conv_in, down1, down2, conv_out;
    std::shared_ptr<ResBlock> res1, res2, res3, mid, up2, up1;
    std::shared_ptr<GroupNormSiLU> norm_out; // SiLU(GN(·)) before conv_out
};

}  // namespace hd
