// main.cpp — the `hd` command line: train, evaluate, sample, grade, demo, dataset.
//
// Bad input ends in one line on stderr and a non-zero exit (2 for bad input, 1 for a
// failure, 3 for a homework Part still to do); only --help prints more.
//
// Flags follow the handout (--model flat|hierarchical, --epochs, --model_path, --z2,
// --num_samples); the dashed spellings (--model-path, --num-samples) work too.
#include "apps/commands.h"
#include "homework/provided/not_implemented.h"

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <new>
#include <string>

namespace {

// CLI11's message on one line, without its "--name: " prefix where the check that failed
// already begins with the flag's name (see apps/number_flags.cpp).
std::string one_line_parse_error(const CLI::ParseError& e) {
    std::string text = e.what();
    // "Could not convert: --eta = abc" (a type CLI11 cannot read the text as)
    const std::string unreadable = "Could not convert: ";
    const size_t equals = text.find(" = ");
    if (text.rfind(unreadable, 0) == 0 && equals != std::string::npos)
        return fmt::format("{} {} cannot be read as the number it needs",
                           text.substr(unreadable.size(), equals - unreadable.size()), text.substr(equals + 3));
    const size_t colon = text.find(": ");
    if (colon != std::string::npos && text.compare(colon + 2, colon + 1, text.substr(0, colon) + " ") == 0)
        text.erase(0, colon + 2);
    for (char& c : text)
        if (c == '\n') c = ' ';
    return text;
}

}  // namespace

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
    hd::cli::refuse_out_of_range_numbers(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // A flag CLI11 could not read is bad input like any other: one line, exit code 2.
        std::fprintf(stderr, "hd: error: %s (see hd --help)\n", one_line_parse_error(e).c_str());
        return 2;
    } catch (const hd::NotImplemented& e) {
        std::fprintf(stderr, "hd: %s\n    finish that Part (see homework/README.md), then run this again\n", e.what());
        return 3;
    } catch (const hd::UsageError& e) {
        std::fprintf(stderr, "hd: error: %s\n", e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        // The last line of defence: every size is range-checked before work starts, but a
        // machine can still have less memory than a valid run needs.
        std::fprintf(stderr, "hd: error: out of memory (this run needs more than the machine gives it; try smaller "
                             "--num_samples, --batch_size, --image_size or --base_channels)\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hd: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
