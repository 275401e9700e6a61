// main.cpp — the `hd` command line: train, evaluate, sample, grade, demo, dataset.
//
// Flags follow the handout (--model flat|hierarchical, --epochs, --model_path, --z2,
// --num_samples); the dashed spellings (--model-path, --num-samples) work too.
#include "apps/commands.h"
#include "homework/provided/not_implemented.h"

#include <fmt/format.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    CLI::App app{"hd — hierarchical diffusion, from scratch in C++ (train, evaluate, sample, grade, demo)"};
    app.require_subcommand(1);
    hd::cli::add_train_command(app);
    hd::cli::add_evaluate_command(app);
    hd::cli::add_sample_command(app);
    hd::cli::add_grade_command(app);
    hd::cli::add_demo_command(app);
    hd::cli::add_dataset_command(app);
    hd::cli::add_judge_command(app);
    hd::cli::add_summarize_command(app);
    hd::cli::add_probe_command(app);
    hd::cli::add_interpolate_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const hd::NotImplemented& e) {
        std::fprintf(stderr, "hd: %s\n    finish that Part (see homework/README.md), then run this again\n", e.what());
        return 3;
    } catch (const hd::UsageError& e) {
        std::fprintf(stderr, "hd: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hd: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
