// image_io.cpp — PNG writing/reading through stb, grids of image tensors, and the 5×7 font.
#include "diffusion/image_io.h"

#include "nn/files.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace hd {

// ---- RgbImage ---------------------------------------------------------------------------

RgbImage::RgbImage(int width, int height, Rgb8 background) : width(width), height(height) {
    if (width < 1 || height < 1)
        throw std::invalid_argument("RgbImage: size " + std::to_string(width) + "x" +
                                    std::to_string(height) + " (valid: both at least 1)");
    pixels.resize(static_cast<size_t>(width) * height * 3);
    for (size_t i = 0; i < pixels.size(); i += 3) {
        pixels[i] = background.r;
        pixels[i + 1] = background.g;
        pixels[i + 2] = background.b;
    }
}

void RgbImage::set(int x, int y, Rgb8 colour) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    size_t i = (static_cast<size_t>(y) * width + x) * 3;
    pixels[i] = colour.r;
    pixels[i + 1] = colour.g;
    pixels[i + 2] = colour.b;
}

Rgb8 RgbImage::at(int x, int y) const {
    size_t i = (static_cast<size_t>(y) * width + x) * 3;
    return {pixels[i], pixels[i + 1], pixels[i + 2]};
}

// ---- PNG files --------------------------------------------------------------------------

namespace {

// stb's write callback: appends the encoded bytes to a std::string.
void append_to_string(void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

// A PNG is a picture of at most a few thousand pixels a side; anything bigger is not ours.
constexpr size_t kMaxPngBytes = size_t{256} << 20;

}  // namespace

void write_png(const std::string& path, const uint8_t* rgb, int width, int height) {
    if (width < 1 || height < 1)
        throw std::invalid_argument("write_png: '" + path + "': size " + std::to_string(width) + "x" +
                                    std::to_string(height) + " (valid: both at least 1)");
    // Encode in memory, then write through the one safe path: a full disk or a special
    // file as the target leaves the old picture as it was.
    std::string encoded;
    if (stbi_write_png_to_func(append_to_string, &encoded, width, height, 3, rgb, width * 3) == 0)
        throw std::runtime_error("write_png: cannot encode '" + path + "' (stb_image_write failed)");
    write_file_atomic(path, encoded);
}

void write_png(const std::string& path, const RgbImage& image) {
    write_png(path, image.pixels.data(), image.width, image.height);
}

RgbImage read_png(const std::string& path) {
    const std::string bytes = read_file_bounded(path, kMaxPngBytes);
    int width = 0, height = 0, channels = 0;
    unsigned char* data = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                                                static_cast<int>(bytes.size()), &width, &height, &channels, 3);
    if (data == nullptr)
        throw std::runtime_error("cannot read " + path + ": not a PNG picture (" + stbi_failure_reason() + ")");
    RgbImage image;
    image.width = width;
    image.height = height;
    image.pixels.assign(data, data + static_cast<size_t>(width) * height * 3);
    stbi_image_free(data);
    return image;
}

// ---- the 5×7 font -----------------------------------------------------------------------

namespace {

struct Glyph {
    char character;
    const char* rows[7];  // 5 columns each; '#' is ink
};

// Hand-drawn capitals, digits and the symbols that labels and captions use.
constexpr Glyph kFont[] = {
    {'A', {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'B', {"#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "}},
    {'C', {" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "}},
    {'D', {"#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "}},
    {'E', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"}},
    {'F', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "}},
    {'G', {" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"}},
    {'H', {"#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'I', {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'J', {"  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "}},
    {'K', {"#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"}},
    {'L', {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"}},
    {'M', {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"}},
    {'N', {"#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"}},
    {'O', {" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
    {'P', {"#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "}},
    {'Q', {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"}},
    {'R', {"#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"}},
    {'S', {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "}},
    {'T', {"#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'U', {"#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
    {'V', {"#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "}},
    {'W', {"#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "}},
    {'X', {"#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"}},
    {'Y', {"#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'Z', {"#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"}},
    {'0', {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "}},
    {'1', {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'2', {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"}},
    {'3', {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "}},
    {'4', {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "}},
    {'5', {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "}},
    {'6', {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "}},
    {'7', {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "}},
    {'8', {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "}},
    {'9', {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "}},
    {' ', {"     ", "     ", "     ", "     ", "     ", "     ", "     "}},
    {'.', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "}},
    {',', {"     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "}},
    {':', {"     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "}},
    {'-', {"     ", "     ", "     ", "#####", "     ", "     ", "     "}},
    {'_', {"     ", "     ", "     ", "     ", "     ", "     ", "#####"}},
    {'/', {"     ", "    #", "   # ", "  #  ", " #   ", "#    ", "     "}},
    {'(', {"   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "}},
    {')', {" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "}},
    {'[', {" ### ", " #   ", " #   ", " #   ", " #   ", " #   ", " ### "}},
    {']', {" ### ", "   # ", "   # ", "   # ", "   # ", "   # ", " ### "}},
    {'%', {"##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"}},
    {'=', {"     ", "     ", "#####", "     ", "#####", "     ", "     "}},
    {'+', {"     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "}},
    {'*', {"     ", "  #  ", "# # #", " ### ", "# # #", "  #  ", "     "}},
    {'<', {"   # ", "  #  ", " #   ", "#    ", " #   ", "  #  ", "   # "}},
    {'>', {"#    ", " #   ", "  #  ", "   # ", "  #  ", " #   ", "#    "}},
    {'|', {"  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'#', {" # # ", " # # ", "#####", " # # ", "#####", " # # ", " # # "}},
    {'!', {"  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "     ", "  #  "}},
    {'?', {" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "}},
    {'\'', {"  #  ", "  #  ", " #   ", "     ", "     ", "     ", "     "}},
};

constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kAdvance = 6;  // one blank column between glyphs

const Glyph& glyph_of(char c) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    for (const Glyph& g : kFont)
        if (g.character == c) return g;
    return glyph_of('?');
}

uint8_t to_byte(float value) {
    // [-1, 1] -> [0, 255]; `!(v > -1)` also sends NaN to the bottom of the range.
    float v = !(value > -1.0f) ? -1.0f : std::min(value, 1.0f);
    return static_cast<uint8_t>(std::lround((v + 1.0f) * 127.5f));
}

}  // namespace

int text_width(const std::string& text, int scale) {
    if (text.empty()) return 0;
    return (static_cast<int>(text.size()) * kAdvance - 1) * scale;
}

int text_height(int scale) { return kGlyphHeight * scale; }

void draw_text(RgbImage& image, int x, int y, const std::string& text, Rgb8 colour, int scale) {
    for (size_t k = 0; k < text.size(); ++k) {
        const Glyph& g = glyph_of(text[k]);
        int left = x + static_cast<int>(k) * kAdvance * scale;
        for (int row = 0; row < kGlyphHeight; ++row)
            for (int col = 0; col < kGlyphWidth; ++col)
                if (g.rows[row][col] == '#')
                    for (int dy = 0; dy < scale; ++dy)
                        for (int dx = 0; dx < scale; ++dx)
                            image.set(left + col * scale + dx, y + row * scale + dy, colour);
    }
}

// ---- grids of image tensors ---------------------------------------------------------------

RgbImage make_grid(const Tensor& images, int columns, const std::vector<std::string>& labels, int scale) {
    const Shape& shape = images.shape();
    if (shape.size() != 4 || shape[1] != 3 || shape[0] < 1)
        throw ShapeError("make_grid: images " + shape_str(shape) + " (expected (N,3,H,W) with N >= 1)");
    if (columns < 1 || scale < 1)
        throw std::invalid_argument("make_grid: columns = " + std::to_string(columns) + ", scale = " +
                                    std::to_string(scale) + " (valid: both at least 1)");
    const int count = static_cast<int>(shape[0]);
    if (!labels.empty() && static_cast<int>(labels.size()) != count)
        throw std::invalid_argument("make_grid: " + std::to_string(labels.size()) + " labels for " +
                                    std::to_string(count) + " images (valid: none, or one per image)");
    const int height = static_cast<int>(shape[2]), width = static_cast<int>(shape[3]);
    const int tile_w = width * scale, tile_h = height * scale;
    // Labels are drawn twice as large under tiles wide enough to hold ~8 such glyphs.
    const int font_scale = tile_w >= 96 ? 2 : 1;
    const int label_h = labels.empty() ? 0 : text_height(font_scale) + 4;
    const int pad = 2;
    columns = std::min(columns, count);
    const int rows = (count + columns - 1) / columns;
    RgbImage grid(pad + columns * (tile_w + pad), pad + rows * (tile_h + label_h + pad));

    const int64_t plane = int64_t{height} * width;
    for (int n = 0; n < count; ++n) {
        const float* image = images.data() + n * 3 * plane;
        int left = pad + (n % columns) * (tile_w + pad);
        int top = pad + (n / columns) * (tile_h + label_h + pad);
        for (int y = 0; y < tile_h; ++y)
            for (int x = 0; x < tile_w; ++x) {
                int64_t i = int64_t{y / scale} * width + x / scale;
                Rgb8 colour = {to_byte(image[i]), to_byte(image[plane + i]), to_byte(image[2 * plane + i])};
                grid.set(left + x, top + y, colour);
            }
        if (!labels.empty()) {
            // Centred under the tile; a label too long for the tile keeps its first characters.
            std::string text = labels[n];
            while (!text.empty() && text_width(text, font_scale) > tile_w) text.pop_back();
            int x = left + (tile_w - text_width(text, font_scale)) / 2;
            draw_text(grid, x, top + tile_h + 2, text, {30, 30, 30}, font_scale);
        }
    }
    return grid;
}

void write_png_grid(const std::string& path, const Tensor& images, int columns,
                    const std::vector<std::string>& labels, int scale) {
    write_png(path, make_grid(images, columns, labels, scale));
}

}  // namespace hd
