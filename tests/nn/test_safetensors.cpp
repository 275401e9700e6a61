// test_safetensors.cpp — nn/safetensors.h: bitwise round trips, the exact file layout,
// one error per kind of malformed file, atomic saves, the checkpoint tensor-set check,
// interoperability with an independent Python reader, and a seeded mutation fuzz loop
// (the portable stand-in for the libFuzzer target in tests/fuzz/).
#include "nn/safetensors.h"

#include "tests/support/temp_folder.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

namespace fs = std::filesystem;
using hd::CheckpointError;
using hd::NamedTensors;
using hd::Shape;
using hd::Tensor;
using Catch::Matchers::Contains;
using TensorList = std::vector<std::pair<std::string, Tensor>>;
using TempDir = hd::test::TempFolder;
using hd::test::read_bytes;

namespace {

// A file made of a length field, the given header text, and the given data bytes.
std::string raw_file(const std::string& header, const std::string& data = "") {
    const uint64_t length = header.size();
    std::string bytes(reinterpret_cast<const char*>(&length), 8);
    return bytes + header + data;
}

// `count` floats' worth of bytes.
std::string data_bytes(int count) { return std::string(size_t(count) * 4, '\x01'); }

// The message of the CheckpointError that `action` throws (fails the test if none).
std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const CheckpointError& e) {
        return e.what();
    }
    FAIL("expected a CheckpointError, but nothing was thrown");
    return {};
}

// The message of parsing `bytes` as a file called "bad.safetensors".
std::string parse_error(const std::string& bytes) {
    return error_of([&] { hd::parse_safetensors(bytes, "bad.safetensors"); });
}

// Bitwise equality of two tensors (NaN payloads and -0 included).
void require_bitwise_equal(const Tensor& actual, const Tensor& expected) {
    REQUIRE(actual.shape() == expected.shape());
    if (expected.numel() > 0)
        REQUIRE(std::memcmp(actual.data(), expected.data(), size_t(expected.numel()) * 4) == 0);
}

TensorList sample_tensors() {
    std::vector<float> special = {0.0f, -0.0f, 1.0f, -1.5f, std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::quiet_NaN(), 3.14159274f, 1e30f,
                                  -1e-30f, 65504.0f};
    std::vector<float> ramp(2 * 3 * 4);
    for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = 0.25f * float(i) - 2.0f;
    return {
        {"unet.conv_in.weight", Tensor::from_vector(ramp, {2, 3, 4})},
        {"unet.conv_in.bias", Tensor::from_vector(special, {12})},
        {"prior.step", Tensor::scalar(42.5f)},
        {"prior.unused", Tensor::empty({0, 5})},
    };
}

const std::map<std::string, std::string> kUnicodeMetadata = {
    {"model", "hierarchical"}, {"epoch", "12"}, {"note", "chien → chat, 車, 🐕"}, {"empty", ""}};

// Header text of a file.
std::string header_of(const std::string& bytes) {
    uint64_t length;
    std::memcpy(&length, bytes.data(), 8);
    return bytes.substr(8, length);
}

}  // namespace

// ---- round trips and layout -----------------------------------------------------

TEST_CASE("a checkpoint round-trips bitwise, including a 0-d tensor, an empty tensor and unicode metadata",
          "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    const TensorList tensors = sample_tensors();
    hd::save_safetensors(path, tensors, kUnicodeMetadata);
    const NamedTensors loaded = hd::load_safetensors(path);

    REQUIRE(loaded.tensors.size() == tensors.size());
    for (const auto& [name, tensor] : tensors) {
        CAPTURE(name, hd::shape_str(tensor.shape()));
        const Tensor* found = loaded.find(name);
        REQUIRE(found != nullptr);
        require_bitwise_equal(*found, tensor);
    }
    CHECK(loaded.metadata == kUnicodeMetadata);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("the header is padded with spaces so the data starts at a multiple of 8 bytes",
          "[safetensors]") {
    // Names of 1..16 characters move the header length through every remainder mod 8.
    for (int length = 1; length <= 16; ++length) {
        const std::string name(size_t(length), 'w');
        CAPTURE(name);
        const std::string bytes = hd::serialize_safetensors({{name, Tensor::ones({3})}});
        const std::string header = header_of(bytes);
        CHECK((8 + header.size()) % 8 == 0);
        CHECK(bytes.size() == 8 + header.size() + 12);
        CHECK(header.front() == '{');
        const auto json = nlohmann::json::parse(header);
        CHECK(json[name]["dtype"] == "F32");
        CHECK(json[name]["shape"] == nlohmann::json::array({3}));
        CHECK(json[name]["data_offsets"] == nlohmann::json::array({0, 12}));
        // Whatever follows the closing brace is padding, and only spaces.
        const std::string padding = header.substr(header.rfind('}') + 1);
        CHECK(padding.size() < 8);
        CHECK(padding.find_first_not_of(' ') == std::string::npos);
    }
}

TEST_CASE("the data section holds the tensors sorted by name, so any input order gives the same bytes",
          "[safetensors]") {
    TensorList tensors = sample_tensors();
    const std::string forward = hd::serialize_safetensors(tensors, kUnicodeMetadata);
    std::reverse(tensors.begin(), tensors.end());
    CHECK(hd::serialize_safetensors(tensors, kUnicodeMetadata) == forward);

    const NamedTensors loaded = hd::parse_safetensors(forward, "memory");
    std::vector<std::string> names;
    for (const auto& [name, tensor] : loaded.tensors) names.push_back(name);
    CHECK(std::is_sorted(names.begin(), names.end()));
}

TEST_CASE("a file with no tensors and no metadata is valid", "[safetensors]") {
    const std::string bytes = hd::serialize_safetensors({});
    CAPTURE(bytes.substr(8));
    const NamedTensors loaded = hd::parse_safetensors(bytes, "memory");
    CHECK(loaded.tensors.empty());
    CHECK(loaded.metadata.empty());
}

TEST_CASE("a valid file laid out unlike ours (reverse order, unpadded header) loads",
          "[safetensors]") {
    const std::string header = R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("a":{"shape":[1],"data_offsets":[8,12],"dtype":"F32"}})";
    std::string data(12, '\0');
    const float values[3] = {1.0f, 2.0f, 3.0f};
    std::memcpy(data.data(), values, 12);
    const NamedTensors loaded = hd::parse_safetensors(raw_file(header, data), "memory");
    REQUIRE(loaded.tensors.size() == 2);
    hd::test::require_close(*loaded.find("b"), Tensor::from_vector({1.0f, 2.0f}, {2}), 0.0f, 0.0f);
    hd::test::require_close(*loaded.find("a"), Tensor::from_vector({3.0f}, {1}), 0.0f, 0.0f);
}

// ---- malformed files: one error each ---------------------------------------------

TEST_CASE("a file shorter than 8 bytes is rejected", "[safetensors]") {
    for (size_t size : {0, 1, 7}) {
        CAPTURE(size);
        const std::string message = parse_error(std::string(size, '\0'));
        CHECK_THAT(message, Contains("bad.safetensors") && Contains("shorter than the 8-byte"));
    }
}

TEST_CASE("a header length past the end of the file is rejected", "[safetensors]") {
    std::string bytes = raw_file("{}");
    bytes.resize(bytes.size() - 1);
    CHECK_THAT(parse_error(bytes), Contains("runs past the end of the file"));
}

TEST_CASE("an absurd header length is rejected before anything is read", "[safetensors]") {
    std::string bytes = raw_file("{}");
    const uint64_t huge = uint64_t(1) << 40;
    std::memcpy(bytes.data(), &huge, 8);
    CHECK_THAT(parse_error(bytes), Contains("is absurd"));
}

TEST_CASE("a header that is not a JSON object is rejected", "[safetensors]") {
    SECTION("not starting with a brace") {
        for (const std::string header : {"", "[1,2]", " {}", "null"}) {
            CAPTURE(header);
            CHECK_THAT(parse_error(raw_file(header)), Contains("does not start with '{'"));
        }
    }
    SECTION("broken JSON") {
        // nlohmann would stop at the NUL and accept "{"a":1}"; the loader must not.
        const std::string with_nul("{\"a\":1}\0", 8);
        for (const std::string& header : {std::string("{"), std::string("{\"a\":}"),
                                         std::string("{} x"), std::string("{\"a\":1,}"), with_nul}) {
            CAPTURE(header);
            CHECK_THAT(parse_error(raw_file(header)), Contains("header is not valid JSON"));
        }
    }
    SECTION("invalid UTF-8") {
        CHECK_THAT(parse_error(raw_file("{\"\xff\":1}")), Contains("header is not valid JSON"));
    }
}

TEST_CASE("a header nested deeper than the format allows is rejected", "[safetensors]") {
    const std::string header = "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}";
    CHECK_THAT(parse_error(raw_file(header)), Contains("nests deeper"));
}

TEST_CASE("a tensor entry that is not an object is rejected", "[safetensors]") {
    CHECK_THAT(parse_error(raw_file(R"({"w":[1,2]})")),
               Contains("tensor 'w': entry is a JSON array, not an object"));
}

TEST_CASE("a tensor entry missing dtype, shape or data_offsets is rejected", "[safetensors]") {
    const std::string dtype = R"("dtype":"F32")", shape = R"("shape":[1])",
                      offsets = R"("data_offsets":[0,4])";
    CHECK_THAT(parse_error(raw_file("{\"w\":{" + shape + "," + offsets + "}}", data_bytes(1))),
               Contains("tensor 'w': missing field 'dtype'"));
    CHECK_THAT(parse_error(raw_file("{\"w\":{" + dtype + "," + offsets + "}}", data_bytes(1))),
               Contains("tensor 'w': missing field 'shape'"));
    CHECK_THAT(parse_error(raw_file("{\"w\":{" + dtype + "," + shape + "}}", data_bytes(1))),
               Contains("tensor 'w': missing field 'data_offsets'"));
}

TEST_CASE("a tensor entry with an unknown field is rejected", "[safetensors]") {
    const std::string header =
        R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"data_offset":[0,4]}})";
    CHECK_THAT(parse_error(raw_file(header, data_bytes(1))), Contains("unexpected field 'data_offset'"));
}

TEST_CASE("a dtype other than F32 is rejected and named", "[safetensors]") {
    for (const std::string dtype : {"F16", "BF16", "F64", "I64", "f32"}) {
        CAPTURE(dtype);
        const std::string header =
            R"({"w":{"dtype":")" + dtype + R"(","shape":[1],"data_offsets":[0,4]}})";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(1))),
                   Contains("dtype '" + dtype + "' is not supported (hdiff stores F32 only)"));
    }
    CHECK_THAT(parse_error(raw_file(R"({"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})",
                                    data_bytes(1))),
               Contains("dtype is a JSON number, not a string"));
}

TEST_CASE("a shape with a negative or non-integer entry is rejected", "[safetensors]") {
    for (const std::string shape : {"[-1]", "[1.5]", "[2.0]", "[\"3\"]", "[null]", "[1e3]",
                                    "[18446744073709551615]", "[99999999999999999999]"}) {
        CAPTURE(shape);
        const std::string header =
            R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,4]}})";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(1))),
                   Contains("is not a non-negative integer"));
    }
    CHECK_THAT(parse_error(raw_file(R"({"w":{"dtype":"F32","shape":3,"data_offsets":[0,4]}})",
                                    data_bytes(1))),
               Contains("shape is not an array"));
}

TEST_CASE("a shape whose byte size overflows 64 bits is rejected, even next to a zero",
          "[safetensors]") {
    for (const std::string shape : {"[4294967296,4294967296]", "[4294967296,4294967296,0]",
                                    "[0,9223372036854775807,9223372036854775807]"}) {
        CAPTURE(shape);
        const std::string header =
            R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,0]}})";
        CHECK_THAT(parse_error(raw_file(header)), Contains("is too large"));
    }
}

TEST_CASE("data_offsets that are not two non-negative integers are rejected", "[safetensors]") {
    for (const std::string offsets : {"[0]", "[0,4,8]", "[-4,0]", "[0,4.0]", "\"0,4\"", "{}"}) {
        CAPTURE(offsets);
        const std::string header =
            R"({"w":{"dtype":"F32","shape":[1],"data_offsets":)" + offsets + "}}";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(1))),
                   Contains("is not two non-negative integers"));
    }
}

TEST_CASE("data_offsets that begin after they end are rejected", "[safetensors]") {
    const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})";
    CHECK_THAT(parse_error(raw_file(header, data_bytes(1))), Contains("begin after they end"));
}

TEST_CASE("data_offsets past the end of the data section are rejected", "[safetensors]") {
    const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    CHECK_THAT(parse_error(raw_file(header, data_bytes(1))),
               Contains("run past the end of the data section (4 bytes)"));
}

TEST_CASE("a byte size that disagrees with the shape is rejected", "[safetensors]") {
    const std::string header = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})";
    CHECK_THAT(parse_error(raw_file(header, data_bytes(3))),
               Contains("hold 12 bytes, but shape (2,2) of F32 needs 16"));
}

TEST_CASE("overlapping tensors are rejected", "[safetensors]") {
    const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
    CHECK_THAT(parse_error(raw_file(header, data_bytes(3))),
               Contains("tensors 'a' [0, 8] and 'b' [4, 12] overlap"));
    const std::string same = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    CHECK_THAT(parse_error(raw_file(same, data_bytes(2))), Contains("overlap"));
}

TEST_CASE("data bytes that belong to no tensor are rejected", "[safetensors]") {
    SECTION("a gap between tensors") {
        const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                   R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(3))),
                   Contains("data bytes [4, 8) belong to no tensor"));
    }
    SECTION("bytes before the first tensor") {
        const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(2))),
                   Contains("data bytes [0, 4) belong to no tensor"));
    }
    SECTION("trailing bytes after the last tensor") {
        const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(1) + "xyz")),
                   Contains("data bytes [4, 7) belong to no tensor"));
    }
}

TEST_CASE("duplicate keys are rejected, however they are spelled", "[safetensors]") {
    const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
    SECTION("two tensors with one name") {
        CHECK_THAT(parse_error(raw_file("{\"w\":" + entry + ",\"w\":" + entry + "}", data_bytes(1))),
                   Contains("header has the key 'w' twice"));
    }
    SECTION("the same name written with an escape") {
        CHECK_THAT(parse_error(raw_file("{\"w\":" + entry + ",\"\\u0077\":" + entry + "}",
                                        data_bytes(1))),
                   Contains("header has the key 'w' twice"));
    }
    SECTION("a field repeated inside an entry") {
        const std::string header =
            R"({"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        CHECK_THAT(parse_error(raw_file(header, data_bytes(1))), Contains("key 'dtype' twice"));
    }
    SECTION("a metadata key repeated") {
        CHECK_THAT(parse_error(raw_file(R"({"__metadata__":{"k":"1","k":"2"}})")),
                   Contains("key 'k' twice"));
    }
}

TEST_CASE("metadata that is not a string-to-string object is rejected", "[safetensors]") {
    CHECK_THAT(parse_error(raw_file(R"({"__metadata__":["a"]})")),
               Contains("__metadata__ is a JSON array, not an object of strings"));
    CHECK_THAT(parse_error(raw_file(R"({"__metadata__":{"epoch":12}})")),
               Contains("__metadata__ 'epoch' is a JSON number, not a string"));
    CHECK_THAT(parse_error(raw_file(R"({"__metadata__":{"a":null}})")),
               Contains("__metadata__ 'a' is a JSON null, not a string"));
}

TEST_CASE("error messages stay on one line whatever names the file holds", "[safetensors]") {
    const std::string header = "{\"a\\nb\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}";
    const std::string message = parse_error(raw_file(header, "xx"));
    CHECK_THAT(message, Contains("tensor 'a\\x0ab'"));
    CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("loading a missing file names the file and the reason", "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("absent.safetensors");
    const std::string message = error_of([&] { hd::load_safetensors(path); });
    CHECK_THAT(message, Contains(path) && Contains("No such file or directory"));
}

TEST_CASE("load_safetensors names the file in validation errors", "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("truncated.safetensors");
    std::string bytes = hd::serialize_safetensors(sample_tensors());
    bytes.resize(bytes.size() - 4);
    std::ofstream(path, std::ios::binary) << bytes;
    const std::string message = error_of([&] { hd::load_safetensors(path); });
    CHECK_THAT(message, Contains(path + ": tensor '"));
}

// ---- saving ---------------------------------------------------------------------

TEST_CASE("saving invalid names or undefined tensors throws before touching the disk",
          "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    const Tensor one = Tensor::ones({1});
    CHECK_THAT(error_of([&] { hd::save_safetensors(path, {{"w", one}, {"w", one}}); }),
               Contains(path) && Contains("two tensors are named 'w'"));
    CHECK_THAT(error_of([&] { hd::save_safetensors(path, {{"", one}}); }), Contains("empty name"));
    CHECK_THAT(error_of([&] { hd::save_safetensors(path, {{"__metadata__", one}}); }),
               Contains("is reserved"));
    CHECK_THAT(error_of([&] { hd::save_safetensors(path, {{"w", Tensor()}}); }),
               Contains("tensor 'w' is undefined"));
    CHECK_THAT(error_of([&] { hd::save_safetensors(path, {{"w", one}}, {{"k", "\xff"}}); }),
               Contains("not valid UTF-8"));
    CHECK(dir.listing().empty());
}

TEST_CASE("saving into a missing directory creates it", "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("missing/model.safetensors");
    hd::save_safetensors(path, sample_tensors());
    CHECK(hd::load_safetensors(path).tensors.size() == sample_tensors().size());
    CHECK(dir.listing() == std::vector<std::string>{"missing"});
}

TEST_CASE("a save refuses a folder in the way and leaves it as it was", "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    fs::create_directory(path);
    const std::string message = error_of([&] { hd::save_safetensors(path, sample_tensors()); });
    CHECK_THAT(message, Contains(path) && Contains("is a folder, not a regular file"));
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
    CHECK(fs::is_directory(path));
}

TEST_CASE("a save that fails while writing leaves the existing checkpoint intact",
          "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    hd::save_safetensors(path, sample_tensors(), kUnicodeMetadata);
    const std::string before = read_bytes(path);

    // The second, larger save fails half-way with EFBIG.
    const std::string message = hd::test::error_with_file_size_limit(4096, [&] { hd::save_safetensors(path, {{"big", Tensor::ones({100000})}}); });
    CAPTURE(message);
    CHECK_THAT(message, Contains(path) && Contains("File too large") && Contains("old file, if any, is unchanged"));
    CHECK(read_bytes(path) == before);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("saving over an existing checkpoint replaces it", "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    hd::save_safetensors(path, sample_tensors());
    hd::save_safetensors(path, {{"only", Tensor::full({2}, 5.0f)}}, {{"epoch", "2"}});
    const NamedTensors loaded = hd::load_safetensors(path);
    REQUIRE(loaded.tensors.size() == 1);
    hd::test::require_close(*loaded.find("only"), Tensor::full({2}, 5.0f), 0.0f, 0.0f);
    CHECK(loaded.metadata.at("epoch") == "2");
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
}

// ---- the checkpoint-level check --------------------------------------------------

TEST_CASE("check_tensor_set accepts exactly the expected names and shapes", "[safetensors]") {
    const NamedTensors checkpoint = hd::parse_safetensors(hd::serialize_safetensors(sample_tensors()),
                                                          "ckpt");
    std::vector<std::pair<std::string, Shape>> expected = {
        {"unet.conv_in.weight", {2, 3, 4}}, {"unet.conv_in.bias", {12}},
        {"prior.step", {}}, {"prior.unused", {0, 5}}};
    CHECK_NOTHROW(hd::check_tensor_set(checkpoint, expected, "ckpt"));

    SECTION("a shape mismatch names the tensor and both shapes") {
        expected[0].second = {4, 3, 4};
        CHECK(error_of([&] { hd::check_tensor_set(checkpoint, expected, "model.safetensors"); }) ==
              "model.safetensors: unet.conv_in.weight: checkpoint has (2,3,4), model expects (4,3,4)");
    }
    SECTION("a missing tensor is named, with how many more are missing") {
        expected.push_back({"unet.conv_out.weight", {3, 3}});
        expected.push_back({"unet.conv_out.bias", {3}});
        CHECK_THAT(error_of([&] { hd::check_tensor_set(checkpoint, expected, "ckpt"); }),
                   Contains("ckpt: missing tensor 'unet.conv_out.weight' (and 1 more missing)"));
    }
    SECTION("an unexpected tensor is named") {
        expected.pop_back();
        CHECK_THAT(error_of([&] { hd::check_tensor_set(checkpoint, expected, "ckpt"); }),
                   Contains("ckpt: unexpected tensor 'prior.unused' (0,5)"));
    }
}

// ---- interoperability with an independent reader --------------------------------

namespace {

const char* kPython = "/usr/bin/python3";

// Runs tests/nn/read_safetensors.py with `arguments` and parses what it prints.
nlohmann::json run_python_reader(const std::string& arguments) {
    if (!fs::exists(kPython))
        FAIL("/usr/bin/python3 is missing; scripts/setup.sh installs it (the interoperability "
             "test runs an independent Python reader)");
    // HD_SOURCE_DIR, not __FILE__: __FILE__ may be relative to the build folder (ccache and
    // other compiler launchers rewrite paths), which is not where ctest runs the test.
    const fs::path script = fs::path(HD_SOURCE_DIR) / "tests" / "nn" / "read_safetensors.py";
    if (!fs::exists(script)) FAIL("cannot find the Python reader at " + script.string());
    const std::string command =
        std::string(kPython) + " '" + script.string() + "' " + arguments + " 2>&1";
    CAPTURE(command);
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    const int status = ::pclose(pipe);
    CAPTURE(output);
    REQUIRE(status == 0);
    return nlohmann::json::parse(output);
}

// A float the reader printed: a number, or "nan" / "inf" / "-inf".
float reader_value(const nlohmann::json& value) {
    if (value.is_number()) return float(value.get<double>());
    const std::string text = value.get<std::string>();
    if (text == "nan") return std::numeric_limits<float>::quiet_NaN();
    return text == "inf" ? std::numeric_limits<float>::infinity()
                         : -std::numeric_limits<float>::infinity();
}

}  // namespace

TEST_CASE("an independent Python reader sees our names, shapes, values and metadata",
          "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    const TensorList tensors = sample_tensors();
    hd::save_safetensors(path, tensors, kUnicodeMetadata);
    const nlohmann::json report = run_python_reader("'" + path + "'");

    CHECK(report["header_length"].get<uint64_t>() % 8 == 0);
    CHECK(report["metadata"].get<std::map<std::string, std::string>>() == kUnicodeMetadata);
    REQUIRE(report["tensors"].size() == tensors.size());
    for (const auto& entry : report["tensors"]) {
        const std::string name = entry["name"];
        CAPTURE(name);
        const auto original = std::find_if(tensors.begin(), tensors.end(),
                                           [&](const auto& item) { return item.first == name; });
        REQUIRE(original != tensors.end());
        CHECK(entry["shape"].get<Shape>() == original->second.shape());
        const std::vector<float> expected = original->second.to_vector();
        REQUIRE(entry["values"].size() == expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            CAPTURE(i, expected[i]);
            const float actual = reader_value(entry["values"][i]);
            if (std::isnan(expected[i]))
                CHECK(std::isnan(actual));
            else
                CHECK(std::memcmp(&actual, &expected[i], 4) == 0);
        }
    }
}

TEST_CASE("a file written by the independent Python writer loads with the same contents",
          "[safetensors]") {
    TempDir dir;
    const std::string path = dir.file("from_python.safetensors");
    const nlohmann::json report = run_python_reader("--write '" + path + "'");
    const NamedTensors loaded = hd::load_safetensors(path);

    CHECK(loaded.metadata == report["metadata"].get<std::map<std::string, std::string>>());
    REQUIRE(loaded.tensors.size() == report["tensors"].size());
    for (const auto& entry : report["tensors"]) {
        const std::string name = entry["name"];
        CAPTURE(name);
        const Tensor* tensor = loaded.find(name);
        REQUIRE(tensor != nullptr);
        std::vector<float> values;
        for (const auto& value : entry["values"]) values.push_back(reader_value(value));
        require_bitwise_equal(*tensor, Tensor::from_vector(values, entry["shape"].get<Shape>()));
    }
}

// ---- mutation fuzzing -------------------------------------------------------------

namespace {

// Pieces that push a mutated header toward the validator's edge cases.
const std::vector<std::string> kHeaderTokens = {
    "\"", "{", "}", "[", "]", ",", ":", "-", "0", "1", "-1", "4", "1.5", "1e400",
    "18446744073709551615", "9223372036854775807", "4294967296", "null", "true", "[]", "{}",
    "\"F32\"", "\"F16\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"",
    "\\u0000", "\\ud800", "\xff", " "};

// One random corruption of `bytes`: bit flips, byte changes, truncation, extension, or a
// header edit (with the length field fixed up half the time, so it reaches the JSON checks).
std::string mutate(std::string bytes, std::mt19937_64& rng) {
    auto below = [&](size_t n) { return n == 0 ? size_t(0) : size_t(rng() % n); };
    switch (rng() % 6) {
    case 0:
        for (int k = 0, flips = 1 + int(below(4)); k < flips && !bytes.empty(); ++k)
            bytes[below(bytes.size())] ^= char(1 << below(8));
        break;
    case 1:
        if (!bytes.empty()) bytes[below(bytes.size())] = char(rng());
        break;
    case 2: bytes.resize(below(bytes.size() + 1)); break;
    case 3: bytes.append(below(16), char(rng())); break;
    case 4: {
        uint64_t length = rng() % 3 == 0 ? rng() : uint64_t(bytes.size()) - 8 + below(17) - 8;
        std::memcpy(bytes.data(), &length, 8);
        break;
    }
    default: {
        uint64_t length;
        std::memcpy(&length, bytes.data(), 8);
        length = std::min<uint64_t>(length, bytes.size() - 8);
        std::string header = bytes.substr(8, length), data = bytes.substr(8 + length);
        const size_t at = below(header.size() + 1);
        const size_t erase = rng() % 2 ? below(6) : 0;
        header.replace(at, std::min(erase, header.size() - at), kHeaderTokens[below(kHeaderTokens.size())]);
        const uint64_t new_length = rng() % 2 ? header.size() : length;
        bytes.assign(reinterpret_cast<const char*>(&new_length), 8);
        bytes += header + data;
        break;
    }
    }
    return bytes;
}

}  // namespace

TEST_CASE("random corruptions of valid files only ever raise CheckpointError", "[safetensors]") {
    const std::vector<std::string> seeds = {
        hd::serialize_safetensors(sample_tensors(), kUnicodeMetadata),
        hd::serialize_safetensors({{"w", Tensor::ones({2, 2})}, {"b", Tensor::zeros({2})}}),
        hd::serialize_safetensors({{"s", Tensor::scalar(1.0f)}}, {{"epoch", "3"}}),
        hd::serialize_safetensors({}),
    };
    std::mt19937_64 rng(20240611);
    int accepted = 0, rejected = 0;
    for (int iteration = 0; iteration < 20000; ++iteration) {
        std::string bytes = seeds[size_t(rng() % seeds.size())];
        for (int k = 0, edits = 1 + int(rng() % 3); k < edits && bytes.size() >= 8; ++k)
            bytes = mutate(bytes, rng);
        try {
            const NamedTensors loaded = hd::parse_safetensors(bytes, "mutant");
            int64_t total = 0;
            for (const auto& [name, tensor] : loaded.tensors) total += tensor.numel() * 4;
            if (uint64_t(total) > bytes.size()) {
                CAPTURE(iteration);
                FAIL("a parsed file holds more tensor bytes than the file has");
            }
            ++accepted;
        } catch (const CheckpointError&) {
            ++rejected;
        } catch (const std::exception& e) {
            CAPTURE(iteration, e.what());
            FAIL("parse_safetensors threw something other than CheckpointError");
        }
    }
    CAPTURE(accepted, rejected);
    CHECK(rejected > 10000);  // the mutations really do reach the validator
}
