// test_samples.cpp — the samples as data, as a user meets them: the files `hd sample`,
// `hd evaluate` and `hd interpolate` write beside their pictures, read back by the
// handout's own Python reader (taken from homework/README.md, so the two cannot drift),
// the line the first evaluation prints before it trains the classifier, and the one-line
// refusals of --z1 and hd interpolate.
//
// As in test_cli.cpp, a student build whose Parts are still stubs stops sampling with the
// Part's message (exit code 3); the Python reader then reads a file written in-process.
#include "experiment/sample_data.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct Run {
    int exit_code = -1;
    std::string output; // stdout and stderr together
};

// Runs `command` in `folder` through the shell.
Run shell(const std::string& command, const fs::path& folder) {
    Run run;
    FILE* pipe = popen(fmt::format("cd '{}' && {} 2>&1", folder.string(), command).c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 4096> buffer{};
    while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) run.output.append(buffer.data(), n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

Run run_hd(const std::string& arguments, const fs::path& folder) {
    return shell(fmt::format("'{}' {}", HD_BINARY, arguments), folder);
}

struct TempFolder {
    fs::path path;
    TempFolder() {
        static int counter = 0;
        path = fs::temp_directory_path() / fmt::format("hd_samples_test_{}_{}", getpid(), counter++);
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempFolder() { fs::remove_all(path); }
};

int line_count(const std::string& text) {
    int lines = 0;
    for (char c : text) lines += c == '\n';
    return lines + (!text.empty() && text.back() != '\n');
}

void check_one_line_error(const Run& run, const std::string& message) {
    CAPTURE(run.output);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Contains(message));
    CHECK(line_count(run.output) == 1);
}

bool stopped_at_stub(const Run& run) {
    if (run.exit_code != 3) return false;
    CHECK_THAT(run.output, Contains("not implemented yet: Part"));
    return true;
}

const std::string kTiny = "--image_size 16 --base_channels 8 --embedding_dim 16 --timesteps 50 --epoch_size 32 --batch_size 16 --quiet";

// The handout's reader: the Python block between the markers in homework/README.md.
std::string handout_reader() {
    std::ifstream in(fs::path(HD_SOURCE_DIR) / "homework" / "README.md");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    const std::string begin = "<!-- BEGIN read_samples.py -->\n```python\n", end = "```\n<!-- END read_samples.py -->";
    const size_t from = readme.find(begin), to = readme.find(end);
    if (from == std::string::npos || to == std::string::npos || to < from)
        FAIL("homework/README.md has no Python reader between '<!-- BEGIN read_samples.py -->' and '<!-- END "
             "read_samples.py -->'");
    return readme.substr(from + begin.size(), to - from - begin.size());
}

// Runs the handout's reader on `file` (relative to `folder`).
Run run_reader(const fs::path& folder, const std::string& file) {
    const char* python = "/usr/bin/python3";
    if (!fs::exists(python)) FAIL("/usr/bin/python3 is missing; scripts/setup.sh installs it (this test runs the "
                                  "handout's Python reader)");
    std::ofstream(folder / "read_samples.py") << handout_reader();
    return shell(fmt::format("{} read_samples.py '{}'", python, file), folder);
}

// The line the reader prints for `count` of `total` samples of one label.
std::string share_line(const std::string& title, const std::string& name, int64_t count, int64_t total) {
    return fmt::format("{} {}: {}/{} = {}%", title, name, count, total,
                       static_cast<int>(std::lround(100.0 * double(count) / double(total))));
}

// The reader's output agrees with the C++ reader on shapes and every nearest-mode share.
void check_reader_output(const Run& run, const std::string& path) {
    CAPTURE(run.output);
    REQUIRE(run.exit_code == 0);
    const hd::SampleData d = hd::read_sample_data(path);
    const int64_t n = d.images.size(0);
    CHECK_THAT(run.output, Contains(fmt::format("images: [{}, 3, {}, {}]", n, d.images.size(2), d.images.size(3))));
    CHECK_THAT(run.output, Contains(fmt::format("nearest_mode: [{}]", n)));
    if (d.z1.defined()) CHECK_THAT(run.output, Contains(fmt::format("z1: [{}, 2]", n)));
    for (hd::Mode m : hd::all_modes()) {
        const auto count = std::count(d.nearest_mode.begin(), d.nearest_mode.end(), m);
        CHECK_THAT(run.output, Contains(share_line("nearest reference", to_string(m), count, n)));
    }
}

}  // namespace

TEST_CASE("the handout's Python reader reads what hd sample and hd evaluate write", "[cli][samples]") {
    TempFolder dir;
    const Run train = run_hd("train --model hierarchical --epochs 1 " + kTiny, dir.path);
    if (stopped_at_stub(train)) {
        // A student build: the reader still has to read a samples file.
        hd::Generator gen(1);
        hd::SampleData d{.images = hd::Tensor::rand({4, 3, 16, 16}, gen, -1.0f, 1.0f),
                         .z1 = hd::Tensor::randn({4, 2}, gen),
                         .nearest_mode = {hd::Mode::dog, hd::Mode::cat, hd::Mode::cat, hd::Mode::truck},
                         .verdicts = {{1, 0.9f}, {1, 0.5f}, {hd::kNoneClass, 0.95f}, {3, 0.85f}},
                         .metadata = {{"model_kind", "hierarchical"}, {"z2", "animal"}, {"sampler", "DDIM-3"},
                                      {"confidence", "0.8"}}};
        hd::write_sample_data((dir.path / "s.safetensors").string(), d);
        const Run read = run_reader(dir.path, "s.safetensors");
        check_reader_output(read, (dir.path / "s.safetensors").string());
        CHECK_THAT(read.output, Contains("recognised at 0.8: 2/4"));
        CHECK_THAT(read.output, Contains("recognised cat: 1/2 = 50%"));
        return;
    }
    REQUIRE(train.exit_code == 0);

    const Run sample = run_hd("sample --model_path checkpoints/model_b.safetensors --z2 animal --num_samples 5 --ddim_steps 2",
                          dir.path);
    REQUIRE(sample.exit_code == 0);
    CHECK_THAT(sample.output, Contains("wrote samples/model_b_animal.safetensors"));
    const Run read = run_reader(dir.path, "samples/model_b_animal.safetensors");
    check_reader_output(read, (dir.path / "samples" / "model_b_animal.safetensors").string());
    CHECK_THAT(read.output, Contains("hierarchical animal DDIM-2"));
    CHECK_THAT(read.output, Contains("z1: [5, 2]"));
    CHECK_THAT(read.output, !(Contains("recognised")));

    // The first evaluation trains the classifier and says so first, even when quiet.
    const std::string evaluate = "evaluate --model_path checkpoints/model_b.safetensors --num_samples 3 --ddim_steps 2 "
                                 "--classifier_steps 3 --quiet";
    const Run first = run_hd(evaluate, dir.path);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.output, Contains("training the evaluation classifier: it is trained once per image size and dataset "
                                      "seed and cached at checkpoints/mode_classifier_s16_d0.safetensors; the first "
                                      "time takes a few minutes"));
    CHECK_THAT(first.output, Contains("wrote evaluation/model_b/samples_animal.safetensors"));
    const Run second = run_hd(evaluate, dir.path);
    REQUIRE(second.exit_code == 0);
    CHECK_THAT(second.output, !(Contains("training the evaluation classifier"))); // cached now

    for (const char* z2 : {"animal", "vehicle"}) {
        const std::string file = fmt::format("evaluation/model_b/samples_{}.safetensors", z2);
        const Run evaluated = run_reader(dir.path, file);
        check_reader_output(evaluated, (dir.path / file).string());
        CHECK_THAT(evaluated.output, Contains(fmt::format("hierarchical {} DDIM-2", z2)));
        CHECK_THAT(evaluated.output, Contains("classifier_label: [3]"));
        // The recognised count is the one the C++ reader finds at the file's confidence.
        const hd::SampleData d = hd::read_sample_data((dir.path / file).string());
        const float confidence = std::stof(d.metadata.at("confidence"));
        const auto recognised = std::count_if(d.verdicts.begin(), d.verdicts.end(),
                                              [&](const hd::Verdict& v) { return v.recognisable(confidence); });
        CHECK_THAT(evaluated.output, Contains(fmt::format("recognised at {}: {}/3", d.metadata.at("confidence"), recognised)));
    }
}

TEST_CASE("hd sample --z1 and hd interpolate write their files and refuse bad values in one line", "[cli][samples]") {
    TempFolder dir;
    const Run train_b = run_hd("train --model hierarchical --epochs 1 " + kTiny, dir.path);
    if (stopped_at_stub(train_b)) return;
    REQUIRE(train_b.exit_code == 0);
    REQUIRE(run_hd("train --model flat --epochs 1 " + kTiny, dir.path).exit_code == 0);
    const std::string b = "--model_path checkpoints/model_b.safetensors", a = "--model_path checkpoints/model_a.safetensors";

    const Run chosen = run_hd("sample " + b + " --z1 0.5,-0.5 --num_samples 2 --ddim_steps 2", dir.path);
    REQUIRE(chosen.exit_code == 0);
    CHECK(fs::exists(dir.path / "samples" / "model_b_z1_0.5_-0.5.png"));
    CHECK_FALSE(fs::exists(dir.path / "samples" / "model_b_z1_0.5_-0.5_prior.png")); // no prior was sampled
    const hd::SampleData d = hd::read_sample_data((dir.path / "samples" / "model_b_z1_0.5_-0.5.safetensors").string());
    REQUIRE(d.z1.shape() == hd::Shape{2, 2});
    CHECK(d.z1.data()[2] == 0.5f);
    CHECK(d.z1.data()[3] == -0.5f);

    check_one_line_error(run_hd("sample " + b + " --z1 nan,0", dir.path), "--z1 'nan,0' is not finite (valid: two finite numbers");
    check_one_line_error(run_hd("sample " + b + " --z1 1,2,3", dir.path), "--z1 '1,2,3' is not two numbers");
    check_one_line_error(run_hd("sample " + b + " --z1 one,two", dir.path), "'one' is not a number");
    check_one_line_error(run_hd("sample " + a + " --z1 0,1", dir.path),
                         "--z1 needs model B (hierarchical): checkpoints/model_a.safetensors holds a flat model");
    check_one_line_error(run_hd("sample " + b + " --z1 0,1 --z2 animal", dir.path), "--z1 and --z2 exclude each other");
    check_one_line_error(run_hd("sample " + b + " --output grid.safetensors", dir.path), "is not a PNG path");

    const std::string quick = " --ddim_steps 2 --classifier_steps 2 --quiet";
    const Run strip = run_hd("interpolate " + b + " --from dog --to truck --steps 3" + quick, dir.path);
    REQUIRE(strip.exit_code == 0);
    CHECK(fs::exists(dir.path / "samples" / "model_b_dog_to_truck.png"));
    CHECK(fs::exists(dir.path / "checkpoints" / "mode_classifier_s16_d0.safetensors")); // as hd evaluate caches it
    CHECK_THAT(strip.output, Contains("-45.0°"));
    CHECK_THAT(strip.output, Contains("wrote samples/model_b_dog_to_truck.png (3 tiles from dog to truck"));
    const hd::SampleData tiles = hd::read_sample_data((dir.path / "samples" / "model_b_dog_to_truck.safetensors").string());
    CHECK(tiles.images.size(0) == 3);
    CHECK(tiles.verdicts.size() == 3);

    check_one_line_error(run_hd("interpolate " + b + " --from horse" + quick, dir.path),
                         "--from: unknown z1 'horse' (valid: dog, cat, car, truck)");
    check_one_line_error(run_hd("interpolate " + b + " --to plane" + quick, dir.path), "--to: unknown z1 'plane'");
    check_one_line_error(run_hd("interpolate " + b + " --steps 1" + quick, dir.path), "--steps 1 is impossible (valid: 2 … 64)");
    check_one_line_error(run_hd("interpolate " + b + " --steps 100000" + quick, dir.path), "--steps 100000 is impossible");
    check_one_line_error(run_hd("interpolate " + b + " --from cat --to cat" + quick, dir.path), "--from and --to are both cat");
    check_one_line_error(run_hd("interpolate " + a + quick, dir.path), "hd interpolate needs model B (hierarchical)");
    check_one_line_error(run_hd("interpolate --model_path nowhere.safetensors" + quick, dir.path), "no checkpoint at nowhere");
    check_one_line_error(run_hd("interpolate " + b + " --eta 2" + quick, dir.path), "--eta 2 is impossible");
}
