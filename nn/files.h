// files.h — the one safe path by which hdiff writes and reads files.
//
// Every file hdiff writes — checkpoints, PNG pictures, CSV logs, JSON results, reports —
// goes through write_file_atomic, so a failure (a full disk, a missing permission, a
// kill in the middle) never leaves a half-written file in place of a good one, and a
// path that names something other than a regular file (a device such as /dev/null, a
// FIFO, a folder) is refused instead of being replaced. Reading goes through
// read_file_bounded, which opens regular files only and refuses what is larger than the
// caller can use, so /dev/zero or a FIFO cannot hang or exhaust memory.
//
// What it does not do: locking (two writers of one path both succeed; the last rename
// wins, and each reader sees one whole file), or Windows paths.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hd {

/// A file could not be written or read: one line naming the path and the reason, e.g.
/// "cannot write results/metrics.json: disk full (no space left on device)".
struct FileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Writes `bytes` to `path` so that `path` holds either its old content or all of the
/// new one: creates the parent folders, refuses a `path` that exists and is not a
/// regular file, writes a fresh temporary file beside it (checking every write and the
/// close), fsyncs it, renames it over `path` and fsyncs the folder. On failure the
/// temporary file is removed, `path` is untouched, and FileError says why ("disk full"
/// when the disk is).
void write_file_atomic(const std::string& path, std::string_view bytes);

/// Throws the FileError write_file_atomic would throw for a `path` that exists and is not
/// a regular file (a device, FIFO or folder), so a command can refuse it before any work.
void check_writable_path(const std::string& path);

/// Removes the temporary files that write_file_atomic left beside `path` in processes
/// that were killed before they could clean up (their process no longer exists).
/// Returns how many it removed.
int remove_stale_temporaries(const std::string& path);

/// The whole content of the regular file `path`; FileError when it is missing, not a
/// regular file (a folder, device or FIFO) or larger than `max_bytes`.
std::string read_file_bounded(const std::string& path, size_t max_bytes);

/// Creates a folder and its parents; FileError naming it when that fails.
void make_directory(const std::string& path);

/// The text of a write/read failure for errno `error`: "disk full (…)" for ENOSPC and
/// EDQUOT, otherwise the system's message.
std::string describe_file_error(int error);

}  // namespace hd
