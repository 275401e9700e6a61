// test_image_io.cpp — PNG writing (atomic, right size, clamped values), grids and the font.
#include "diffusion/image_io.h"

#include "tests/support/temp_folder.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using hd::RgbImage;
using hd::Tensor;

using TempDir = hd::test::TempFolder;
using hd::test::read_bytes;

namespace {

/// A fresh directory under the system temp dir, removed with everything in it at scope exit.
/// Width and height from a PNG's IHDR chunk: bytes 16–19 and 20–23, big-endian.
std::pair<uint32_t, uint32_t> ihdr_size(const std::string& png) {
    auto byte = [&](size_t at) { return uint32_t{static_cast<uint8_t>(png[at])}; };
    auto be32 = [&](size_t at) { return byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3); };
    return {be32(16), be32(20)};
}

const std::string kPngSignature = "\x89PNG\r\n\x1A\n";

}  // namespace

TEST_CASE("write_png writes a PNG with the signature and the size in its IHDR", "[image_io]") {
    TempDir dir;
    std::string path = dir.file("small.png");
    RgbImage image(5, 3, {10, 20, 30});
    image.set(4, 2, {200, 100, 50});
    hd::write_png(path, image);
    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() > 24);
    CHECK(bytes.substr(0, 8) == kPngSignature);
    CHECK(bytes.substr(12, 4) == "IHDR");
    CHECK(ihdr_size(bytes) == std::pair<uint32_t, uint32_t>{5, 3});
    CHECK_FALSE(fs::exists(path + ".tmp"));
    // The pixels come back unchanged.
    RgbImage back = hd::read_png(path);
    CHECK(back.width == 5);
    CHECK(back.height == 3);
    CHECK(back.pixels == image.pixels);
}

TEST_CASE("write_png_grid lays out columns and rows and label bands as documented", "[image_io]") {
    TempDir dir;
    const int64_t count = 5, size = 8;
    Tensor images = Tensor::zeros({count, 3, size, size});
    SECTION("without labels") {
        std::string path = dir.file("grid.png");
        hd::write_png_grid(path, images, /*columns=*/2, {}, /*scale=*/3);
        // 2 columns, 3 rows of 24-pixel tiles with 2-pixel gaps.
        CHECK(ihdr_size(read_bytes(path)) == std::pair<uint32_t, uint32_t>{2 + 2 * 26, 2 + 3 * 26});
    }
    SECTION("with labels") {
        std::string path = dir.file("labelled.png");
        hd::write_png_grid(path, images, 2, {"dog", "cat", "car", "truck", "x"}, 3);
        // Each row gains a band of 7 + 4 pixels (font scale 1 under 24-pixel tiles).
        CHECK(ihdr_size(read_bytes(path)) == std::pair<uint32_t, uint32_t>{2 + 2 * 26, 2 + 3 * (26 + 11)});
    }
    SECTION("more columns than images") {
        std::string path = dir.file("wide.png");
        hd::write_png_grid(path, images, 9, {}, 1);
        CHECK(ihdr_size(read_bytes(path)) == std::pair<uint32_t, uint32_t>{2 + 5 * 10, 2 + 10});
    }
}

TEST_CASE("Grid pixel values are clamped to -1..1 and mapped to 0..255", "[image_io]") {
    // One 1×1 image per value; red = green = blue = the value.
    const std::vector<float> values = {-5.0f, -1.0f, 0.0f, 1.0f, 7.0f, 0.5f};
    const std::vector<int> expected = {0, 0, 128, 255, 255, 191};
    const int64_t count = static_cast<int64_t>(values.size());
    std::vector<float> data;
    for (float v : values)
        for (int c = 0; c < 3; ++c) data.push_back(v);
    Tensor images = Tensor::from_vector(data, {count, 3, 1, 1});
    RgbImage grid = hd::make_grid(images, static_cast<int>(count));
    TempDir dir;
    std::string path = dir.file("clamp.png");
    hd::write_png_grid(path, images, static_cast<int>(count));
    RgbImage back = hd::read_png(path);
    REQUIRE(back.pixels == grid.pixels);
    for (int64_t n = 0; n < count; ++n) {
        CAPTURE(values[n], expected[n]);
        hd::Rgb8 pixel = back.at(2 + 3 * static_cast<int>(n), 2);  // tile n starts at 2 + n·(1 + 2)
        CHECK(int{pixel.r} == expected[n]);
        CHECK(int{pixel.g} == expected[n]);
        CHECK(int{pixel.b} == expected[n]);
    }
}

TEST_CASE("An unwritable path throws a one-line error naming it and leaves no temporary file",
          "[image_io]") {
    TempDir dir;
    RgbImage image(4, 4);
    auto no_temporaries = [&] {
        for (const auto& entry : fs::recursive_directory_iterator(dir.path))
            if (entry.path().filename().string().find(".tmp") != std::string::npos) return false;
        return true;
    };
    SECTION("a folder that cannot be made (a file is in the way)") {
        std::ofstream(dir.file("blocker")) << "x";
        std::string path = dir.file("blocker/sub/picture.png");
        CAPTURE(path);
        CHECK_THROWS_WITH(hd::write_png(path, image), Catch::Contains("blocker"));
        try {
            hd::write_png(path, image);
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()).find('\n') == std::string::npos);
        }
        CHECK_FALSE(fs::exists(path));
    }
    SECTION("a path that is a directory") {
        std::string path = dir.file("a_directory");
        fs::create_directories(path + "/inside");
        CAPTURE(path);
        CHECK_THROWS_AS(hd::write_png(path, image), std::runtime_error);
        CHECK_THROWS_WITH(hd::write_png(path, image), Catch::Contains(path) && Catch::Contains("not a regular file"));
        CHECK(fs::is_directory(path + "/inside"));
    }
    SECTION("a grid over a device") {
        CHECK_THROWS_WITH(hd::write_png_grid("/dev/null", Tensor::zeros({1, 3, 4, 4}), 1), Catch::Contains("is a device"));
        CHECK(fs::is_character_file("/dev/null"));
    }
    SECTION("a missing folder is created") {
        std::string path = dir.file("missing/sub/picture.png");
        hd::write_png(path, image);
        CHECK(ihdr_size(read_bytes(path)) == std::pair<uint32_t, uint32_t>{4, 4});
    }
    CHECK(no_temporaries());
}

TEST_CASE("read_png refuses what is not a PNG file, in one line", "[image_io]") {
    TempDir dir;
    const std::string text = dir.file("notes.png");
    std::ofstream(text) << "\x01\x02 not a picture";
    CHECK_THROWS_WITH(hd::read_png(text), Catch::Contains(text) && Catch::Contains("not a PNG picture"));
    CHECK_THROWS_WITH(hd::read_png("/dev/zero"), Catch::Contains("not a regular file"));
    CHECK_THROWS_WITH(hd::read_png(dir.file("missing.png")), Catch::Contains("No such file"));
}

TEST_CASE("write_png replaces an existing file", "[image_io]") {
    TempDir dir;
    std::string path = dir.file("again.png");
    hd::write_png(path, RgbImage(3, 3, {0, 0, 0}));
    hd::write_png(path, RgbImage(6, 2, {255, 0, 0}));
    CHECK(ihdr_size(read_bytes(path)) == std::pair<uint32_t, uint32_t>{6, 2});
}

TEST_CASE("Grids reject bad shapes and column counts and label counts", "[image_io]") {
    CHECK_THROWS_AS(hd::make_grid(Tensor::zeros({3, 8, 8}), 1), hd::ShapeError);
    CHECK_THROWS_AS(hd::make_grid(Tensor::zeros({2, 1, 8, 8}), 1), hd::ShapeError);
    CHECK_THROWS_AS(hd::make_grid(Tensor::zeros({2, 3, 8, 8}), 0), std::invalid_argument);
    CHECK_THROWS_WITH(hd::make_grid(Tensor::zeros({2, 3, 8, 8}), 2, {"only one"}),
                      Catch::Contains("1 labels for 2 images"));
}

TEST_CASE("The bitmap font draws capitals for lower case and a question mark for unknown characters",
          "[image_io]") {
    auto ink = [](const std::string& text, int scale) {
        RgbImage image(hd::text_width(text, scale) + 2, hd::text_height(scale) + 2);
        hd::draw_text(image, 1, 1, text, {0, 0, 0}, scale);
        return image;
    };
    CHECK(hd::text_width("dog", 1) == 17);  // 3 glyphs of 5 with 1-pixel gaps
    CHECK(hd::text_width("dog", 2) == 34);
    CHECK(hd::text_height(2) == 14);
    CHECK(hd::text_width("", 1) == 0);
    // 'I' is a vertical bar: its middle column is inked top to bottom.
    RgbImage bar = ink("I", 1);
    for (int y = 1; y <= 7; ++y) {
        CAPTURE(y);
        CHECK(int{bar.at(3, y).r} == 0);
    }
    CHECK(int{bar.at(0, 0).r} == 255);  // outside the glyph stays white
    CHECK(ink("dog", 1).pixels == ink("DOG", 1).pixels);
    CHECK(ink("~", 2).pixels == ink("?", 2).pixels);
    CHECK(ink("A", 1).pixels != ink("B", 1).pixels);
    // Drawing past the edge clips instead of writing out of bounds.
    RgbImage small(4, 4);
    hd::draw_text(small, -3, -3, "WWW", {0, 0, 0}, 3);
    CHECK(small.width == 4);
}
