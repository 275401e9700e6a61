// cmd_sample.cpp — `hd sample` (not built yet).
#include "apps/commands.h"

namespace hd::cli {

void add_sample_command(CLI::App& app) {
    auto* command = app.add_subcommand("sample", "not built yet");
    command->allow_extras();
    command->callback([] { throw UsageError("'hd sample' is not built yet (see README, Status)"); });
}

}  // namespace hd::cli
