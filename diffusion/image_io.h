// image_io.h — pictures out of hdiff: PNG files (through stb_image_write) of single
// images and of labelled grids of image tensors, plus a tiny 5×7 bitmap font for labels.
//
// Every PNG is written atomically: to `path + ".tmp"` first, then renamed over `path`, so a
// crash or a full disk never leaves a half-written picture behind.
//
// What it does not do: other formats, alpha, 16-bit, or lower-case glyphs (the font is
// upper-case; lower-case letters are drawn as capitals, unknown characters as '?').
#pragma once

#include "autograd/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hd {

/// An 8-bit colour.
struct Rgb8 {
    uint8_t r = 0, g = 0, b = 0;
};

/// An 8-bit RGB picture, row-major, 3 bytes per pixel (the layout PNG rows use).
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;  // height · width · 3

    RgbImage() = default;
    /// A width×height picture filled with `background`.
    RgbImage(int width, int height, Rgb8 background = {255, 255, 255});
    /// Sets one pixel; coordinates outside the picture are ignored (drawing clips).
    void set(int x, int y, Rgb8 colour);
    /// The pixel at (x, y), which must be inside the picture.
    Rgb8 at(int x, int y) const;
};

/// Writes `width`×`height` RGB bytes (row-major) as a PNG through write_file_atomic
/// (nn/files.h): the old file stays whole unless the new one was written; throws
/// FileError naming the path and the reason ("disk full", "is a device", …).
void write_png(const std::string& path, const uint8_t* rgb, int width, int height);
/// The same for an RgbImage.
void write_png(const std::string& path, const RgbImage& image);
/// Reads a PNG (any channel count, regular files only) as RGB; throws FileError or
/// std::runtime_error naming the path.
RgbImage read_png(const std::string& path);

/// Width in pixels of `text` in the built-in 5×7 font at an integer `scale`.
int text_width(const std::string& text, int scale = 1);
/// Height in pixels of one line of the font at `scale` (7 · scale).
int text_height(int scale = 1);
/// Draws `text` with its top-left corner at (x, y); clips at the picture's edges.
void draw_text(RgbImage& image, int x, int y, const std::string& text, Rgb8 colour, int scale = 1);

/// Lays out images (N, 3, H, W) with values in [-1, 1] (clamped; NaN draws as -1) as a grid
/// of min(columns, N) tiles per row, each enlarged `scale` times (nearest neighbour), with an
/// optional label under each tile (`labels` empty, or one string per image).
/// Layout: white background; 2-pixel gaps around and between tiles; with labels, a band
/// text_height(f) + 4 pixels tall under each tile, f = 2 for tiles at least 96 pixels wide,
/// else 1. So the width is 2 + columns·(W·scale + 2).
RgbImage make_grid(const Tensor& images, int columns, const std::vector<std::string>& labels = {},
                   int scale = 1);
/// make_grid, written to `path` as a PNG (atomically).
void write_png_grid(const std::string& path, const Tensor& images, int columns,
                    const std::vector<std::string>& labels = {}, int scale = 1);

}  // namespace hd
