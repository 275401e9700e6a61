// safetensors.h — reading and writing checkpoints in the safetensors format, so a
// checkpoint written by hdiff opens in Python's safetensors/PyTorch unchanged.
//
// The format (https://github.com/huggingface/safetensors, "Format"):
//
//   8 bytes   N, the header length, an unsigned 64-bit little-endian integer
//   N bytes   UTF-8 JSON object: { "<name>": {"dtype": "F32", "shape": [2, 3],
//                                             "data_offsets": [begin, end]}, …,
//                                  "__metadata__": {"<key>": "<value>", …} }
//             padded at the end with spaces so the data starts 8-byte aligned
//   the rest  the data section: each tensor's raw little-endian bytes at
//             [begin, end) relative to the start of the data section
//
// The writer puts the tensors in the data section sorted by name (what the reference
// writer does when all dtypes are equal), so the same tensors always give the same file.
// The loader treats every file as hostile: it checks every number in the header before
// using it and allocates nothing that the file's own size does not back.
//
// What it does not do: dtypes other than F32 (hdiff's Tensor is float32 only), memory
// mapping or lazy loading (the whole file is read; hdiff's checkpoints are megabytes),
// big-endian hosts (a static_assert in safetensors.cpp stops the build there).
#pragma once

#include "autograd/tensor.h"

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hd {

/// Thrown for every problem with a checkpoint: one line naming the file and the problem,
/// e.g. "model.safetensors: tensor 'w': dtype 'F16' is not supported (hdiff stores F32)".
struct CheckpointError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The contents of a safetensors file: tensors in data-section order, and the metadata.
struct NamedTensors {
    std::vector<std::pair<std::string, Tensor>> tensors;
    std::map<std::string, std::string> metadata;

    /// The tensor called `name`, or nullptr.
    const Tensor* find(const std::string& name) const;
};

/// The bytes of a safetensors file holding `tensors` and `metadata` (throws
/// CheckpointError on an empty, duplicate or reserved name, or an undefined tensor).
std::string serialize_safetensors(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

/// Parses and validates a whole safetensors file held in `bytes`; `what` names it in errors.
NamedTensors parse_safetensors(const std::string& bytes, const std::string& what);

/// Writes a checkpoint through write_file_atomic (nn/files.h): `path` keeps its old
/// content unless the whole new file was written; CheckpointError names the path and
/// the reason ("disk full", "it is a device, not a regular file", …).
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads (regular files only, at most 4 GiB) and validates the checkpoint at `path`
/// (see parse_safetensors).
NamedTensors load_safetensors(const std::string& path);

/// Checks that `checkpoint` holds exactly the `expected` tensor names with the expected
/// shapes; throws CheckpointError naming the first missing tensor, unexpected tensor or
/// shape mismatch, e.g. "model.safetensors: unet.conv_in.weight: checkpoint has
/// (16,3,3,3), model expects (32,3,3,3)".
void check_tensor_set(const NamedTensors& checkpoint,
                      const std::vector<std::pair<std::string, Shape>>& expected,
                      const std::string& what);

}  // namespace hd
