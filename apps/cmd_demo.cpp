// cmd_demo.cpp — `hd demo` (not built yet).
#include "apps/commands.h"

namespace hd::cli {

void add_demo_command(CLI::App& app) {
    auto* command = app.add_subcommand("demo", "not built yet");
    command->allow_extras();
    command->callback([] { throw UsageError("'hd demo' is not built yet (see README, Status)"); });
}

}  // namespace hd::cli
