// unet.h — the image denoiser's backbone: ResBlock and a UNet of L levels (3 by default).
//
// Shapes: B batch, C base channels, E embedding width, H W image size (divisible by 2^(L-1)).
// The three-level UNet (L = 3):
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
// More levels go on top, each at twice the resolution and half the width of the one
// below: with L = 4 the widths are C/2, C, 2C, 4C at H, H/2, H/4, H/8, so a 64×64 net
// ends at 8×8 like the 32×32 one, and its lower three levels are the 32×32 net's. The
// names follow the same pattern (res1 … resL, down1 … down(L-1), mid, up(L-1) … up1).
//
// Every ResBlock also reads `emb` (B,E): the time + condition embedding that Part 1
// of the homework builds.
//
// The colour path (optional): every GroupNorm removes its groups' means, so x's mean
// colour reaches the output only by detours, yet at large t the ideal ε̂ follows it with
// a gain near 1 (README, "Colour drift"). With colour_path the output gains a term
//     g(emb) ⊙ mean_HW(x),   g = Linear(E → out)(SiLU(emb)),  g = 0 at the start,
// a learned per-channel gain (depending on t and the condition) on x's mean colour.
#pragma once

#include "autograd/generator.h"
#include "nn/layers.h"

#include <vector>

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
    int64_t groups = 8;          // GroupNorm groups; every level's width must be divisible by it
    int64_t levels = 3;          // L >= 3 (see above)
    bool colour_path = false;    // needs in_channels == out_channels (see above)
};

/// x: (B,in,H,W), emb: (B,E) -> (B,out,H,W); H and W divisible by 2^(L-1).
class UNet : public Module {
public:
    UNet(const UNetOptions& options, Generator& gen);
    Tensor forward(const Tensor& x, const Tensor& emb);

    /// The width of each level, top (full resolution) first: C/2^(L-3), …, C, 2C, 4C.
    std::vector<int64_t> widths() const;

    UNetOptions options;
    std::shared_ptr<Conv2d> conv_in, conv_out;
    std::vector<std::shared_ptr<ResBlock>> res;   // res[k] is "res{k+1}", at level k
    std::vector<std::shared_ptr<Conv2d>> down;    // down[k] is "down{k+1}": level k -> k+1
    std::shared_ptr<ResBlock> mid;
    std::vector<std::shared_ptr<ResBlock>> up;    // up[k] is "up{k+1}": back to level k
    std::shared_ptr<GroupNormSiLU> norm_out; // SiLU(GN(·)) before conv_out
    std::shared_ptr<Linear> colour_gain;     // null without the colour path
};

}  // namespace hd
