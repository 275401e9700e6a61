// checkpoint_contents.h — a checkpoint read back for comparison, without what may differ
// between two runs that trained the same model. Its own file because the `hd` namespace
// and the tests' hd() runner cannot both be in view.
#pragma once

#include <filesystem>
#include <string>

namespace hd_test {

/// The checkpoint's tensors (names and bytes) and metadata as one string, without its
/// recorded wall time ("training_seconds", which must be present): a resumed run's clock
/// is its own, everything else must match bit for bit.
std::string checkpoint_without_clock(const std::filesystem::path& path);

} // namespace hd_test
