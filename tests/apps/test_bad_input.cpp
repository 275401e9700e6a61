// The bad-input suite of issue 14: every subcommand but grade, run as the real `hd`
// binary, given overflowing numbers, NaN and infinity, values out of range, special files
// (a device, a FIFO, a folder) as inputs and outputs, checkpoints with impossible metadata,
// malformed JSON and label files that do not fit their grid.
//
// Every case must end the same way: a non-zero exit (1 or 2, never a signal, never a
// hang), one line of output naming the problem, no library text (std::bad_alloc, a
// vector's internals, nlohmann's "[json.exception…]"), and the folder exactly as it was
// before: no new file, and every old file byte for byte unchanged. The fixtures are
// written in-process with the experiment library, so the suite needs no trained model
// and no homework Part.
//
// Two data-safety scenarios follow the table: a full disk (a 256 KiB tmpfs, when run as
// root; skipped with a warning elsewhere) and the stale temporary file a `kill -9` during
// a checkpoint write leaves behind.
#include "tests/apps/hd_runner.h"

#include "diffusion/image_io.h"
#include "experiment/model.h"
#include "nn/safetensors.h"

#include <fstream>
#include <map>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace fs = std::filesystem;
using hd_test::line_count;
using hd_test::Run;
using hd_test::stopped_at_stub;
using hd_test::TempFolder;

namespace {

// Flags that keep a case cheap if hd wrongly accepts it and starts working.
const std::string kSmallModel = "--base_channels 8 --embedding_dim 16 --timesteps 50 --quiet";
// {train}: a tiny training at 16×16; {train_sized}: the same for a case that names its own --image_size.
const std::string kSmallTrainSized = "--epoch_size 16 --batch_size 16 " + kSmallModel;
const std::string kSmallTrain = "--image_size 16 " + kSmallTrainSized;
const std::string kSmallDemo = "--epoch_size 16 --batch_size 16 --base_channels 8 --embedding_dim 16 --timesteps 50";
const std::string kSmallEval = "--num_samples 2 --ddim_steps 2 --classifier_steps 5";

// A run of a bad case lasts milliseconds; a FIFO that blocks a read would hang it. It
// allocates little: a checkpoint's metadata must not make it build a model of gigabytes.
constexpr int kCaseSeconds = 20;
constexpr int kCaseMemoryMib = 1536;

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    REQUIRE(out.good());
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// What a folder holds: every entry's path, and for a regular file its bytes, for anything
// else its kind. Two snapshots are equal when nothing was added, removed or changed.
std::map<std::string, std::string> snapshot(const fs::path& folder) {
    std::map<std::string, std::string> entries;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
        const std::string name = fs::relative(entry.path(), folder).string();
        const fs::file_status status = entry.symlink_status();
        if (fs::is_regular_file(status)) entries[name] = "file: " + read_bytes(entry.path());
        else if (fs::is_directory(status)) entries[name] = "folder";
        else if (fs::is_fifo(status)) entries[name] = "fifo";
        else if (fs::is_character_file(status)) entries[name] = "character device";
        else entries[name] = "other";
    }
    return entries;
}

// The smallest model of each kind, as checkpoints, and their parts for forged variants.
hd::ModelConfig tiny_config(hd::ModelKind kind) {
    hd::ModelConfig config;
    config.kind = kind;
    config.image_size = 16;
    config.base_channels = 8;
    config.embedding_dim = 16;
    config.prior_embedding_dim = 16;
    config.prior_hidden = 16;
    config.prior_layers = 1;
    config.timesteps = 50;
    return config;
}

void write_checkpoint(const fs::path& path, hd::ModelKind kind) {
    hd::Generator gen(1);
    hd::DiffusionModel model(tiny_config(kind), gen);
    hd::save_checkpoint(path.string(), model, nullptr, nullptr, {.epoch = 1, .step = 1, .generator_state = "0", .settings = {}});
}

// A copy of the checkpoint at `from` whose metadata says `key` = `value`.
void write_forged_checkpoint(const fs::path& from, const fs::path& to, const std::string& key, const std::string& value) {
    hd::NamedTensors file = hd::load_safetensors(from.string());
    file.metadata[key] = value;
    write_bytes(to, hd::serialize_safetensors(file.tensors, file.metadata));
}

// Where a private device node stands in for /dev/null: made with mknod when root (so a
// regression cannot replace the real /dev/null), else /dev/null itself, which a user
// without root cannot replace.
std::string null_device(const fs::path& folder) {
    const fs::path node = folder / "null";
    if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) return "null";
    return "/dev/null";
}

// The same under a name ending in .png, for the commands that write only PNG paths: a
// private node when root, else a link to /dev/null.
void png_named_null_device(const fs::path& folder) {
    const fs::path node = folder / "null.png";
    if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) fs::create_symlink("/dev/null", node);
}

// Every file a case might read or write; `{null}` and `{tiny}` in a command stand for the
// device and the small-model flags.
struct Fixtures {
    std::string null;
    explicit Fixtures(const fs::path& dir) {
        write_checkpoint(dir / "b.safetensors", hd::ModelKind::hierarchical);
        write_checkpoint(dir / "a.safetensors", hd::ModelKind::flat);
        // Impossible metadata: out of bounds, not a probability, or bounds the tensors do
        // not back (a small file claiming a model of gigabytes).
        write_forged_checkpoint(dir / "b.safetensors", dir / "wide.safetensors", "base_channels", "8192");
        write_forged_checkpoint(dir / "b.safetensors", dir / "p2.safetensors", "p_dog_given_animal", "2");
        write_forged_checkpoint(dir / "b.safetensors", dir / "unbacked.safetensors", "base_channels", "512");
        write_forged_checkpoint(dir / "b.safetensors", dir / "deep.safetensors", "prior_layers", "32");
        write_forged_checkpoint(dir / "b.safetensors", dir / "broad.safetensors", "prior_hidden", "4096");
        write_forged_checkpoint(dir / "deep.safetensors", dir / "huge.safetensors", "prior_hidden", "4096"); // 2 GiB of prior
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0644) == 0);
        REQUIRE(::mkfifo((dir / "fifo.png").c_str(), 0644) == 0);
        fs::create_directories(dir / "folder");
        fs::create_directories(dir / "folder.png");
        png_named_null_device(dir);
        write_bytes(dir / "folder" / "inside.txt", "a file inside the folder\n");
        write_bytes(dir / "old.png", "an old picture that must survive\n");
        write_bytes(dir / "old.md", "an old table that must survive\n");
        // An unlabelled grid of 8 tiles of 16x16 (2 columns, 4 rows; what hd dataset
        // --per_mode 2 --unlabelled draws) and a label file one label short.
        hd::Generator gen(2);
        hd::write_png_grid((dir / "grid.png").string(), hd::Tensor::rand({8, 3, 16, 16}, gen, -1.0f, 1.0f), 2, {}, 4);
        write_bytes(dir / "labels7.txt", "dog dog\ncat cat\ncar car\ntruck\n");
        write_bytes(dir / "broken.json", "{\"model_kind\": ");
        write_bytes(dir / "wrong.json", R"({"model_kind": "flat", "per_z2": {"animal": {"classifier": {}}}})");
        null = null_device(dir);
    }
};

struct Case {
    std::string command;
    std::string message; // what the one line must say
};

// clang-format off
const std::vector<Case> kCases = {
    // ---- train
    {"train --model flat --epochs 1e30 {train}", "--epochs 1e30"},
    {"train --model flat --epochs 99999999999999999999 {train}", "--epochs 99999999999999999999"},
    {"train --model flat --epochs 1.5 {train}", "--epochs 1.5"},
    {"train --model flat --epochs 1 --image_size 99999999999999999999 {train_sized}", "--image_size 99999999999999999999"},
    {"train --model flat --epochs 1 --image_size 1024 {train_sized}", "image size 1024 is impossible (valid: a multiple of 4"},
    {"train --model flat --epochs 1 --grad_clip nan {train}", "--grad_clip nan is impossible (valid:"},
    {"train --model flat --epochs 1 --lr inf {train}", "--lr inf is impossible (valid:"},
    {"train --model flat --epochs 1 --lr nan {train}", "--lr nan is impossible (valid:"},
    {"train --model flat --epochs 1 --lr 1e400 {train}", "--lr 1e400"},
    {"train --model flat --epochs 1 --ema 1 {train}", "--ema 1 is impossible (valid:"},
    {"train --model flat --epochs 1 --min_snr inf {train}", "--min_snr inf is impossible (valid:"},
    {"train --model flat --epochs 1 --colour_weight nan {train}", "--colour_weight nan is impossible (valid:"},
    {"train --model flat --epochs 1 --cond_dropout 1 {train}", "--cond_dropout 1 is impossible (valid:"},
    {"train --model flat --epochs 1 --warmup_steps -1 {train}", "--warmup_steps -1 is impossible (valid:"},
    {"train --model flat --epochs 1 --checkpoint_every 99999999999999999999 {train}", "--checkpoint_every 99999999999999999999"},
    {"train --model flat --epochs 1 --seed -1 {train}", "--seed -1"},
    {"train --model flat --epochs 1 --unet_levels 2 {train}", "UNet levels 2 is impossible (valid: 3"},
    {"train --model flat --epochs 1 --image_size 36 --unet_levels 4 {train_sized}", "a 4-level UNet needs an image size divisible by 8 (got 36)"},
    {"train --model flat --epochs 1 --image_size 64 {train_sized}", "top level is 4 channels wide (C/2)"},
    {"train --model flat --epochs 2 --snapshot_every 3 {train}", "--snapshot_every 3 is impossible (valid: 0 = off, or 1"},
    {"train --model flat --epochs 1 --timesteps 0 --epoch_size 16 --batch_size 16 --quiet", "timesteps 0 is impossible (valid: 2"},
    {"train --model flat --epochs 1 --output {null} {train}", "not a regular file"},
    {"train --model flat --epochs 1 --output fifo {train}", "not a regular file"},
    {"train --model flat --epochs 1 --output folder {train}", "not a regular file"},
    {"train --model flat --epochs 2 --resume --output /dev/zero {train}", "/dev/zero"},
    {"train --model flat --epochs 2 --resume --output fifo {train}", "not a regular file"},
    {"train --model hierarchical --epochs 2 --resume --output wide.safetensors {train}", "base channels 8192"},
    {"train --model tiny --epochs 1 {train}", "unknown model 'tiny' (valid: flat, hierarchical)"},
    {"train --model flat --bogus 1", "--bogus"},
    // ---- evaluate
    {"evaluate --model_path b.safetensors --num_samples 99999999999999999999", "--num_samples 99999999999999999999"},
    {"evaluate --model_path b.safetensors --num_samples 0", "--num_samples 0 is impossible (valid: 1"},
    {"evaluate --model_path b.safetensors --confidence 5 " + kSmallEval, "--confidence 5 is impossible (valid: a probability"},
    {"evaluate --model_path b.safetensors --confidence nan " + kSmallEval, "--confidence nan is impossible"},
    {"evaluate --model_path b.safetensors --classifier_steps 0 --num_samples 2 --ddim_steps 2", "--classifier_steps 0 is impossible (valid:"},
    {"evaluate --model_path b.safetensors --eta nan " + kSmallEval, "--eta nan is impossible (valid: 0 … 1)"},
    {"evaluate --model_path a.safetensors --guidance nan " + kSmallEval, "--guidance nan is impossible (valid:"},
    {"evaluate --model_path b.safetensors --ddim_steps 0 --num_samples 2 --classifier_steps 5", "--ddim_steps 0 is impossible (valid:"},
    {"evaluate --model_path b.safetensors --sampler euler " + kSmallEval, "(valid: ddpm, ddim)"},
    {"evaluate --model_path /dev/zero " + kSmallEval, "not a regular file"},
    {"evaluate --model_path fifo " + kSmallEval, "not a regular file"},
    {"evaluate --model_path folder " + kSmallEval, "not a regular file"},
    {"evaluate --model_path wide.safetensors " + kSmallEval, "base channels 8192"},
    {"evaluate --model_path p2.safetensors " + kSmallEval, "p_dog_given_animal 2 is not a probability (valid: 0 <= p <= 1)"},
    {"evaluate --model_path unbacked.safetensors " + kSmallEval, "base_channels"},
    {"evaluate --model_path b.safetensors --classifier_cache a.safetensors " + kSmallEval, "is not a mode-classifier file"},
    {"evaluate --model_path b.safetensors --classifier_cache fifo " + kSmallEval, "is not a mode-classifier file"},
    {"evaluate --model_path b.safetensors --output_dir {null} " + kSmallEval, "{null}"},
    {"evaluate --model_path b.safetensors --output_dir old.png " + kSmallEval, "old.png"},
    // ---- sample
    {"sample --model_path b.safetensors --num_samples 99999999999999999999", "--num_samples 99999999999999999999"},
    {"sample --model_path b.safetensors --num_samples -1", "--num_samples -1 is impossible (valid: 1"},
    {"sample --model_path b.safetensors --num_samples 1e9", "--num_samples 1e9"},
    {"sample --model_path b.safetensors --num_samples 2 --eta nan", "--eta nan is impossible (valid: 0 … 1)"},
    {"sample --model_path b.safetensors --num_samples 2 --eta 2", "--eta 2 is impossible (valid: 0 … 1)"},
    {"sample --model_path a.safetensors --num_samples 2 --guidance nan", "--guidance nan is impossible (valid:"},
    {"sample --model_path a.safetensors --num_samples 2 --guidance inf", "--guidance inf is impossible (valid:"},
    {"sample --model_path b.safetensors --num_samples 2 --guidance 3", "--guidance 3 needs model B's decoder trained with condition dropout"},
    {"sample --model_path a.safetensors --num_samples 2 --prior_guidance 2", "--prior_guidance applies to model B (hierarchical) only"},
    {"sample --model_path b.safetensors --num_samples 2 --z2 plant", "unknown z2 'plant' (valid: animal, vehicle)"},
    {"sample --model_path b.safetensors --num_samples 2 --ddim_steps 2 --output {null}", "not a PNG path (valid: a path ending in .png"},
    {"sample --model_path b.safetensors --num_samples 2 --ddim_steps 2 --output null.png", "is a device, not a regular file"},
    {"sample --model_path b.safetensors --num_samples 2 --ddim_steps 2 --output fifo.png", "is a FIFO, not a regular file"},
    {"sample --model_path b.safetensors --num_samples 2 --ddim_steps 2 --output folder.png", "is a folder, not a regular file"},
    {"sample --model_path /dev/zero --num_samples 2", "not a regular file"},
    {"sample --model_path fifo --num_samples 2", "not a regular file"},
    {"sample --model_path wide.safetensors --num_samples 2", "base channels 8192"},
    {"sample --model_path p2.safetensors --num_samples 2", "p_dog_given_animal 2 is not a probability"},
    {"sample --model_path unbacked.safetensors --num_samples 2", "base_channels"},
    {"sample --model_path deep.safetensors --num_samples 2", "prior_layers"},
    {"sample --model_path broad.safetensors --num_samples 2", "prior_hidden"},
    {"sample --model_path huge.safetensors --num_samples 2", "prior_"},
    {"sample --model_path nowhere.safetensors --num_samples 2", "no checkpoint at nowhere.safetensors"},
    // ---- demo
    {"demo --output rep --epochs 1 --num_samples 0 {demo}", "--num_samples 0 is impossible (valid: 1"},
    {"demo --output rep --epochs 1e30 {demo}", "--epochs 1e30"},
    {"demo --output rep --epochs 1 --lr inf {demo}", "--lr inf is impossible"},
    {"demo --output rep --epochs 1 --eta nan {demo}", "--eta nan is impossible"},
    {"demo --output rep --epochs 1 --guidance nan {demo}", "--guidance nan is impossible"},
    {"demo --output rep --epochs 1 --classifier_steps 0 {demo}", "--classifier_steps 0 is impossible"},
    {"demo --output rep --epochs 1 --image_size 99999999999999999999 {demo}", "--image_size 99999999999999999999"},
    {"demo --output {null} --epochs 1 --num_samples 2 --ddim_steps 2 --classifier_steps 5 {demo}", "{null}"},
    {"demo --output old.png --epochs 1 --num_samples 2 --ddim_steps 2 --classifier_steps 5 {demo}", "old.png"},
    // ---- dataset
    {"dataset --per_mode 1e20", "--per_mode 1e20"},
    {"dataset --per_mode 99999999999999999999", "--per_mode 99999999999999999999"},
    {"dataset --per_mode 0", "--per_mode 0 is impossible (valid: 1"},
    {"dataset --image_size 99999999999999999999", "--image_size 99999999999999999999"},
    {"dataset --image_size 30", "image_size 30 is not supported (valid: a multiple of 4 that is at least 16 and at most 256"},
    {"dataset --image_size 1000000 --per_mode 1", "image_size 1000000 is not supported (valid:"},
    {"dataset --image_size 16 --per_mode 1 --dataset_seed -5", "--dataset_seed -5"},
    {"dataset --image_size 16 --per_mode 1 --output {null}", "not a regular file"},
    {"dataset --image_size 16 --per_mode 1 --output fifo", "not a regular file"},
    {"dataset --image_size 16 --per_mode 1 --output folder", "not a regular file"},
    // ---- judge
    {"judge --grid grid.png --labels labels7.txt --image_size 16 --classifier_steps 5", "grid.png holds more than 7 tiles, but its labels file has 7 labels (valid: one label per tile"},
    {"judge --grid grid.png --labels fifo --image_size 16 --classifier_steps 5", "fifo"},
    {"judge --grid grid.png --labels /dev/zero --image_size 16 --classifier_steps 5", "/dev/zero"},
    {"judge --grid fifo --labels labels7.txt --image_size 16 --classifier_steps 5", "fifo"},
    {"judge --grid /dev/zero --labels labels7.txt --image_size 16 --classifier_steps 5", "/dev/zero"},
    {"judge --grid grid.png --labels labels7.txt --image_size 16 --confidence 5", "--confidence 5 is impossible (valid: a probability"},
    {"judge --grid grid.png --labels labels7.txt --image_size 16 --thresholds nan", "--thresholds nan is impossible (valid:"},
    {"judge --grid grid.png --labels labels7.txt --image_size 16 --classifier_steps 0", "--classifier_steps 0 is impossible (valid:"},
    {"judge --grid grid.png --labels labels7.txt --image_size 99999999999999999999", "--image_size 99999999999999999999"},
    {"judge --grid grid.png --labels labels7.txt --image_size 1000000", "--image_size 1000000 is impossible (valid: a multiple of 4 from 16 to 256"},
    // ---- summarize
    {"summarize broken.json", "broken.json is not valid JSON"},
    {"summarize wrong.json", "wrong.json is not an hd evaluate metrics.json"},
    {"summarize fifo", "cannot read fifo"},
    {"summarize /dev/zero", "cannot read /dev/zero"},
    {"summarize folder", "cannot read folder"},
    {"summarize", "metrics"},
    // ---- probe
    {"probe --model_path b.safetensors --num_images 99999999999999999999", "--num_images 99999999999999999999"},
    {"probe --model_path b.safetensors --num_images 0", "--num_images 0 is impossible (valid:"},
    {"probe --model_path /dev/zero", "not a regular file"},
    {"probe --model_path fifo", "not a regular file"},
    {"probe --model_path wide.safetensors", "base channels 8192"},
    {"probe --model_path p2.safetensors", "p_dog_given_animal 2 is not a probability"},
    {"probe --model_path unbacked.safetensors --num_images 2", "base_channels"},
};
// clang-format on

std::string expand(std::string text, const Fixtures& fixtures) {
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{null}", fixtures.null}, {"{train}", kSmallTrain},
                                                   {"{train_sized}", kSmallTrainSized}, {"{demo}", kSmallDemo}})
        for (size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
    return text;
}

// Library text a user must never see in place of a sentence.
const char* const kLibraryText[] = {"bad_alloc", "_M_default_append", "json.exception", "terminate called",
                                    "what():", "Run with --help"};

}  // namespace

TEST_CASE("every subcommand refuses bad input with one line, a non-zero exit and no change on disk", "[cli][bad_input]") {
    int failed = 0;
    for (const Case& c : kCases) {
        TempFolder dir;
        const Fixtures fixtures(dir.path);
        const std::string command = expand(c.command, fixtures);
        const std::string message = expand(c.message, fixtures);
        const auto before = snapshot(dir.path);
        const Run run = hd_test::hd(command, dir.path, kCaseSeconds, kCaseMemoryMib);
        const auto after = snapshot(dir.path);
        CAPTURE(command, run.output);
        bool ok = true;
        auto check = [&](bool condition, const char* what) {
            if (!condition) {
                UNSCOPED_INFO(what);
                ok = false;
            }
        };
        check(!run.timed_out, "hd hung (killed at the time limit)");
        check(run.signal == 0, "hd died of a signal");
        check(run.exit_code == 1 || run.exit_code == 2, "the exit code is not 1 or 2");
        check(line_count(run.output) == 1, "the output is not one line");
        check(run.output.find(message) != std::string::npos, "the line does not say what the case expects");
        for (const char* text : kLibraryText) check(run.output.find(text) == std::string::npos, "library text in the output");
        check(before == after, "a file was added, removed or changed");
        if (fixtures.null != "/dev/null") check(fs::is_character_file(dir.path / fixtures.null), "the device was replaced");
        CHECK(ok);
        failed += !ok;
    }
    UNSCOPED_INFO(fmt::format("{} of {} bad-input cases failed", failed, kCases.size()));
    CHECK(failed == 0);
}

TEST_CASE("hd summarize reads a metrics.json in which the classifier recognised no sample", "[cli][bad_input]") {
    TempFolder dir;
    // What hd evaluate writes when nothing was recognised: no classifier coverage, entropy or KL.
    write_bytes(dir.path / "none.json", R"({"model_kind": "hierarchical", "sampler": "DDIM-2", "num_samples_per_z2": 2,
        "per_z2": {"animal": {"classifier": {"labels": {"dog": 0}, "recognisable": 0, "recognisable_share": 0.0},
                              "coverage": {"num_modes_found": 1}, "entropy_nats": 0.0, "kl_nats": 0.69,
                              "near_mode_share": 0.0}}})");
    const Run run = hd_test::hd("summarize none.json", dir.path, kCaseSeconds);
    CAPTURE(run.output);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.output, Catch::Contains("| B (hierarchical) | animal | 1 | 0 ± 0 % | — |"));
}

namespace {

// A small tmpfs at `folder` while it lives (root only); `mounted` says whether it worked.
struct SmallDisk {
    fs::path folder;
    bool mounted = false;
    explicit SmallDisk(fs::path where) : folder(std::move(where)) {
        fs::create_directories(folder);
        mounted = ::mount("tmpfs", folder.c_str(), "tmpfs", 0, "size=256k") == 0;
    }
    ~SmallDisk() {
        if (mounted) ::umount2(folder.c_str(), MNT_DETACH);
    }
    // Fills the disk up to its last few kilobytes.
    void fill() {
        std::ofstream filler(folder / "filler", std::ios::binary);
        const std::string block(1024, 'f');
        for (int k = 0; k < 248 && filler; ++k) filler << block;
    }
};

}  // namespace

TEST_CASE("on a full disk hd sample, dataset, train and evaluate say 'disk full' and keep the old file", "[cli][bad_input]") {
    TempFolder dir;
    SmallDisk disk(dir.path / "full");
    if (!disk.mounted) {
        WARN("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    write_checkpoint(dir.path / "b.safetensors", hd::ModelKind::hierarchical);
    const std::string old_bytes = "an old file that must survive a full disk\n";
    write_bytes(disk.folder / "old.png", old_bytes);
    write_bytes(disk.folder / "old.safetensors", old_bytes);
    fs::create_directories(disk.folder / "eval");
    write_bytes(disk.folder / "eval" / "samples_animal.png", old_bytes);
    disk.fill();
    const auto before = snapshot(disk.folder);

    const std::vector<std::string> commands = {
        "dataset --image_size 32 --per_mode 8 --output full/old.png",
        "sample --model_path b.safetensors --num_samples 16 --ddim_steps 2 --output full/old.png",
        "train --model flat --epochs 1 --output full/old.safetensors " + hd_test::kTiny,
        "evaluate --model_path b.safetensors --output_dir full/eval --classifier_cache classifier.safetensors "
        "--num_samples 4 --ddim_steps 2 --classifier_steps 5 --quiet",
    };
    for (const std::string& command : commands) {
        const Run run = hd_test::hd(command, dir.path);
        CAPTURE(command, run.output);
        if (stopped_at_stub(run)) continue;
        CHECK(run.signal == 0);
        CHECK(run.exit_code == 1);
        CHECK_THAT(run.output, Catch::Contains("disk full"));
        CHECK_THAT(run.output, Catch::Contains("cannot write full/"));
        // The error is the last line; any line before it is a progress bar.
        const std::string last = run.output.substr(run.output.rfind('\n', run.output.size() - 2) + 1);
        CHECK_THAT(last, Catch::StartsWith("hd: error:") && Catch::Contains("disk full"));
        CHECK(snapshot(disk.folder) == before); // the old file unchanged, no temporary left
    }
}

TEST_CASE("a later run removes the temporary file a kill -9 left beside the checkpoint", "[cli][bad_input]") {
    TempFolder dir;
    // A process that has exited: its pid names a writer that can never finish.
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    REQUIRE(dead > 0);
    waitpid(dead, nullptr, 0);
    const fs::path stale = dir.path / fmt::format("model.safetensors.tmp.{}.0", dead);
    const fs::path live = dir.path / fmt::format("model.safetensors.tmp.{}.0", getpid()); // a writer still running
    write_bytes(stale, std::string(4096, 'x'));
    write_bytes(live, "mine");

    const Run run = hd_test::hd("train --model flat --epochs 1 --output model.safetensors " + hd_test::kTiny, dir.path);
    CAPTURE(run.output);
    if (stopped_at_stub(run)) return;
    REQUIRE(run.exit_code == 0);
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(live));
    CHECK(fs::exists(dir.path / "model.safetensors"));
}
