// cmd_grade.cpp — `hd grade` (not built yet).
#include "apps/commands.h"

namespace hd::cli {

void add_grade_command(CLI::App& app) {
    auto* command = app.add_subcommand("grade", "not built yet");
    command->allow_extras();
    command->callback([] { throw UsageError("'hd grade' is not built yet (see README, Status)"); });
}

}  // namespace hd::cli
