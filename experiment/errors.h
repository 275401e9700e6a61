// errors.h — the experiment's error for bad input.
#pragma once

#include <stdexcept>

namespace hd {

/// A problem with the user's input (options, files): `hd` prints it as one line and exits
/// with code 2, so scripts can tell bad input (2) from a failure during the work (1).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace hd
