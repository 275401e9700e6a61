// cmd_evaluate.cpp — `hd evaluate` (not built yet).
#include "apps/commands.h"

namespace hd::cli {

void add_evaluate_command(CLI::App& app) {
    auto* command = app.add_subcommand("evaluate", "not built yet");
    command->allow_extras();
    command->callback([] { throw UsageError("'hd evaluate' is not built yet (see README, Status)"); });
}

}  // namespace hd::cli
