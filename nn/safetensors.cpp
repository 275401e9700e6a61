// safetensors.cpp — the safetensors writer, the validating reader, and the checkpoint
// tensor-set check. See safetensors.h for the format.
//
// Decisions the format leaves open, and what we chose:
// - Holes: the reference implementation requires the tensors to cover the data section
//   exactly (no gaps, no trailing bytes: otherwise one file could hide a second payload).
//   We require the same, and treat an empty tensor placed strictly inside another
//   tensor's bytes as an overlap, as the reference does.
// - Duplicate names: JSON parsers usually keep the last duplicate key silently; the
//   format forbids duplicates, so we detect them (at every level of the header) while
//   parsing, through nlohmann's parser callback.
// - Unknown fields inside a tensor entry are rejected, so a typo such as "data_offset"
//   fails loudly instead of being ignored.
// - The header must start with '{' and may end with spaces (the writer's padding).
#include "nn/safetensors.h"

#include "nn/files.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <system_error>
#include <tuple>
#include <unordered_map>

// The data section is little-endian and we copy it straight into float storage.
static_assert(std::endian::native == std::endian::little,
              "safetensors.cpp copies little-endian bytes as-is; add byte swapping for this host");
static_assert(sizeof(float) == 4, "safetensors F32 is a 4-byte IEEE float");

namespace hd {

using json = nlohmann::json;

namespace {

// The reference implementation refuses headers above 100 MB, so that a file cannot make
// a reader parse an absurd amount of JSON; hdiff's headers are a few kilobytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// The largest file the loader reads: hdiff's checkpoints are megabytes; anything near this
// is not one of ours, and reading it would only exhaust memory.
constexpr size_t kMaxFileBytes = size_t{4} << 30;
constexpr uint64_t kLengthFieldBytes = 8;
constexpr int64_t kF32Bytes = 4;
constexpr const char* kMetadataKey = "__metadata__";

[[noreturn]] void fail(const std::string& what, const std::string& problem) {
    throw CheckpointError(what + ": " + problem);
}


// A name from the file, with control characters escaped, so that every error stays on
// one line whatever the file contains.
std::string printable(const std::string& name) {
    std::string out;
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += char(c);
    }
    return out;
}

// ---- reading ------------------------------------------------------------------

// Parses the header text, rejecting duplicate keys and nesting deeper than a valid
// header has: root object -> tensor entry or __metadata__ -> shape / data_offsets
// array -> numbers, which nlohmann's callback reports as depth 3 at most. The limit
// also bounds the memory a hostile, deeply nested header can make us spend.
json parse_header_json(const char* begin, const char* end, const std::string& what) {
    // nlohmann's lexer takes a NUL byte for the end of input and would silently ignore
    // whatever follows it; JSON never contains a raw NUL, so refuse it outright.
    if (const void* nul = std::memchr(begin, '\0', size_t(end - begin)))
        fail(what, fmt::format("header is not valid JSON: NUL byte at header offset {}",
                               static_cast<const char*>(nul) - begin));
    constexpr int kMaxDepth = 3;
    std::vector<std::set<std::string>> keys_of_open_objects;
    auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
        if (depth > kMaxDepth)
            fail(what, fmt::format("header nests deeper than a safetensors header can "
                                   "({} levels)", kMaxDepth));
        switch (event) {
        case json::parse_event_t::object_start: keys_of_open_objects.emplace_back(); break;
        case json::parse_event_t::object_end: keys_of_open_objects.pop_back(); break;
        case json::parse_event_t::key: {
            const auto& key = parsed.get_ref<const std::string&>();
            if (!keys_of_open_objects.back().insert(key).second)
                fail(what, fmt::format("header has the key '{}' twice (safetensors forbids "
                                       "duplicate keys)", printable(key)));
            break;
        }
        default: break;
        }
        return true;
    };
    try {
        return json::parse(begin, end, callback);
    } catch (const json::exception& e) {
        fail(what, fmt::format("header is not valid JSON: {}", e.what()));
    }
}

// A JSON number that is a non-negative integer fitting in int64, or nullopt.
std::optional<int64_t> as_size(const json& value) {
    if (value.is_number_unsigned()) {
        uint64_t v = value.get<uint64_t>();
        if (v <= uint64_t(std::numeric_limits<int64_t>::max())) return int64_t(v);
        return std::nullopt;
    }
    // nlohmann parses non-negative integers as unsigned; the one signed exception is "-0".
    if (value.is_number_integer() && value.get<int64_t>() == 0) return 0;
    return std::nullopt;
}

// One tensor entry of the header, checked on its own (ranges are checked together later).
struct Entry {
    std::string name;
    Shape shape;
    int64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& name, const json& value, uint64_t data_bytes,
                  const std::string& what) {
    const std::string where = fmt::format("tensor '{}'", printable(name));
    if (!value.is_object())
        fail(what, fmt::format("{}: entry is a JSON {}, not an object with dtype, shape and "
                               "data_offsets", where, value.type_name()));
    for (const char* field : {"dtype", "shape", "data_offsets"})
        if (!value.contains(field)) fail(what, fmt::format("{}: missing field '{}'", where, field));
    for (const auto& [field, unused] : value.items())
        if (field != "dtype" && field != "shape" && field != "data_offsets")
            fail(what, fmt::format("{}: unexpected field '{}' (a tensor entry has dtype, shape "
                                   "and data_offsets)", where, printable(field)));

    const json& dtype = value["dtype"];
    if (!dtype.is_string())
        fail(what, fmt::format("{}: dtype is a JSON {}, not a string", where, dtype.type_name()));
    if (dtype.get_ref<const std::string&>() != "F32")
        fail(what, fmt::format("{}: dtype '{}' is not supported (hdiff stores F32 only)", where,
                               printable(dtype.get_ref<const std::string&>())));

    Entry entry{name, {}, 0, 0};
    const json& shape = value["shape"];
    if (!shape.is_array()) fail(what, fmt::format("{}: shape is not an array", where));
    // Bytes of the tensor, ignoring zero dimensions, so that a shape like (2^40, 2^40, 0)
    // is refused before anything computes its intermediate products.
    int64_t nonzero_product = kF32Bytes;
    bool has_zero = false;
    for (const json& dim : shape) {
        auto size = as_size(dim);
        if (!size)
            fail(what, fmt::format("{}: shape entry {} is not a non-negative integer", where,
                                   dim.dump()));
        entry.shape.push_back(*size);
        if (*size == 0) {
            has_zero = true;
        } else if (__builtin_mul_overflow(nonzero_product, *size, &nonzero_product)) {
            fail(what, fmt::format("{}: shape {} is too large (its byte size overflows 64 bits)",
                                   where, shape.dump()));
        }
    }
    const int64_t expected_bytes = has_zero ? 0 : nonzero_product;

    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !as_size(offsets[0]) || !as_size(offsets[1]))
        fail(what, fmt::format("{}: data_offsets {} is not two non-negative integers [begin, end]",
                               where, offsets.dump()));
    entry.begin = *as_size(offsets[0]);
    entry.end = *as_size(offsets[1]);
    if (entry.begin > entry.end)
        fail(what, fmt::format("{}: data_offsets [{}, {}] begin after they end", where,
                               entry.begin, entry.end));
    if (uint64_t(entry.end) > data_bytes)
        fail(what, fmt::format("{}: data_offsets [{}, {}] run past the end of the data section "
                               "({} bytes)", where, entry.begin, entry.end, data_bytes));
    if (entry.end - entry.begin != expected_bytes)
        fail(what, fmt::format("{}: data_offsets [{}, {}] hold {} bytes, but shape {} of F32 needs "
                               "{}", where, entry.begin, entry.end, entry.end - entry.begin,
                               shape_str(entry.shape), expected_bytes));
    return entry;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& what) {
    if (!value.is_object())
        fail(what, fmt::format("__metadata__ is a JSON {}, not an object of strings",
                               value.type_name()));
    std::map<std::string, std::string> metadata;
    for (const auto& [key, item] : value.items()) {
        if (!item.is_string())
            fail(what, fmt::format("__metadata__ '{}' is a JSON {}, not a string", printable(key),
                                   item.type_name()));
        metadata[key] = item.get<std::string>();
    }
    return metadata;
}

// The tensors must tile the data section: sorted by offset, each starts where the last
// ended, and the last ends at the end of the section.
void check_tiling(std::vector<Entry>& entries, uint64_t data_bytes, const std::string& what) {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    int64_t covered = 0;
    const Entry* previous = nullptr;
    for (const Entry& entry : entries) {
        if (entry.begin < covered)
            fail(what, fmt::format("tensors '{}' [{}, {}] and '{}' [{}, {}] overlap",
                                   printable(previous->name), previous->begin, previous->end,
                                   printable(entry.name), entry.begin, entry.end));
        if (entry.begin > covered)
            fail(what, fmt::format("data bytes [{}, {}) belong to no tensor (safetensors requires "
                                   "the tensors to cover the data section without holes)",
                                   covered, entry.begin));
        covered = entry.end;
        previous = &entry;
    }
    if (uint64_t(covered) != data_bytes)
        fail(what, fmt::format("data bytes [{}, {}) belong to no tensor (safetensors requires the "
                               "tensors to cover the data section without holes)", covered,
                               data_bytes));
}

// ---- writing ------------------------------------------------------------------

std::string serialize(const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata, const std::string& what) {
    // Data-section order: by name, so the same tensors always give the same bytes.
    std::vector<size_t> order(tensors.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return tensors[a].first < tensors[b].first; });

    json header = json::object();
    int64_t offset = 0;
    for (size_t k = 0; k < order.size(); ++k) {
        const auto& [name, tensor] = tensors[order[k]];
        if (name.empty()) fail(what, "a tensor has an empty name");
        if (name == kMetadataKey) fail(what, "'__metadata__' is reserved and cannot name a tensor");
        if (k > 0 && tensors[order[k - 1]].first == name)
            fail(what, fmt::format("two tensors are named '{}'", printable(name)));
        if (!tensor.defined()) fail(what, fmt::format("tensor '{}' is undefined", printable(name)));
        const int64_t bytes = tensor.numel() * kF32Bytes;
        header[name] = {{"dtype", "F32"}, {"shape", tensor.shape()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    if (!metadata.empty()) header[kMetadataKey] = metadata;

    std::string text;
    try {
        text = header.dump();
    } catch (const json::exception& e) {
        fail(what, fmt::format("cannot encode the header (a name or metadata string is not valid "
                               "UTF-8): {}", e.what()));
    }
    // Pad with spaces so the data section starts at a multiple of 8 bytes, as the
    // reference writer does (8-byte length field + header length multiple of 8).
    text.append((8 - text.size() % 8) % 8, ' ');

    std::string bytes;
    bytes.reserve(kLengthFieldBytes + text.size() + size_t(offset));
    const uint64_t length = text.size();
    bytes.append(reinterpret_cast<const char*>(&length), kLengthFieldBytes);
    bytes += text;
    for (size_t index : order) {
        const Tensor& tensor = tensors[index].second;
        if (tensor.numel() > 0)
            bytes.append(reinterpret_cast<const char*>(tensor.data()),
                         size_t(tensor.numel() * kF32Bytes));
    }
    return bytes;
}

}  // namespace

const Tensor* NamedTensors::find(const std::string& name) const {
    for (const auto& [key, tensor] : tensors)
        if (key == name) return &tensor;
    return nullptr;
}

std::string serialize_safetensors(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
    return serialize(tensors, metadata, "serialize_safetensors");
}

NamedTensors parse_safetensors(const std::string& bytes, const std::string& what) {
    // 1. The length field, and the header length against the file.
    if (bytes.size() < kLengthFieldBytes)
        fail(what, fmt::format("file is {} bytes, shorter than the 8-byte header length field",
                               bytes.size()));
    uint64_t header_bytes;
    std::memcpy(&header_bytes, bytes.data(), kLengthFieldBytes);
    const uint64_t after_length = bytes.size() - kLengthFieldBytes;
    if (header_bytes > kMaxHeaderBytes)
        fail(what, fmt::format("header length {} is absurd (over the {}-byte limit)", header_bytes,
                               kMaxHeaderBytes));
    if (header_bytes > after_length)
        fail(what, fmt::format("header length {} runs past the end of the file ({} bytes follow "
                               "the length field)", header_bytes, after_length));

    // 2. The header JSON.
    const char* header_begin = bytes.data() + kLengthFieldBytes;
    if (header_bytes == 0 || header_begin[0] != '{')
        fail(what, "header does not start with '{' (is this a safetensors file?)");
    const json header = parse_header_json(header_begin, header_begin + header_bytes, what);
    if (!header.is_object())
        fail(what, fmt::format("header is a JSON {}, not an object", header.type_name()));

    // 3. Every entry on its own, then the byte ranges together.
    const uint64_t data_bytes = after_length - header_bytes;
    NamedTensors result;
    std::vector<Entry> entries;
    for (const auto& [name, value] : header.items()) {
        if (name == kMetadataKey)
            result.metadata = parse_metadata(value, what);
        else
            entries.push_back(parse_entry(name, value, data_bytes, what));
    }
    check_tiling(entries, data_bytes, what);

    // 4. Only now, with every size backed by bytes in the file, allocate and copy.
    const char* data = header_begin + header_bytes;
    for (const Entry& entry : entries) {
        Tensor tensor = Tensor::empty(entry.shape);
        if (entry.end > entry.begin)
            std::memcpy(tensor.data(), data + entry.begin, size_t(entry.end - entry.begin));
        result.tensors.emplace_back(entry.name, std::move(tensor));
    }
    return result;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    const std::string bytes = serialize(tensors, metadata, path);
    try {
        write_file_atomic(path, bytes);
    } catch (const FileError& e) {
        throw CheckpointError(e.what());
    }
}

NamedTensors load_safetensors(const std::string& path) {
    std::string bytes;
    try {
        bytes = read_file_bounded(path, kMaxFileBytes);
    } catch (const FileError& e) {
        throw CheckpointError(e.what());
    }
    return parse_safetensors(bytes, path);
}

void check_tensor_set(const NamedTensors& checkpoint,
                      const std::vector<std::pair<std::string, Shape>>& expected,
                      const std::string& what) {
    std::unordered_map<std::string, const Tensor*> by_name;
    for (const auto& [name, tensor] : checkpoint.tensors) by_name[name] = &tensor;

    std::vector<std::string> missing;
    for (const auto& [name, shape] : expected) {
        auto found = by_name.find(name);
        if (found == by_name.end()) {
            missing.push_back(name);
        } else if (found->second->shape() != shape) {
            fail(what, fmt::format("{}: checkpoint has {}, model expects {}", printable(name),
                                   shape_str(found->second->shape()), shape_str(shape)));
        }
    }
    if (!missing.empty())
        fail(what, fmt::format("missing tensor '{}'{}", printable(missing.front()),
                               missing.size() > 1
                                   ? fmt::format(" (and {} more missing)", missing.size() - 1)
                                   : std::string()));

    std::set<std::string> expected_names;
    for (const auto& [name, shape] : expected) expected_names.insert(name);
    for (const auto& [name, tensor] : checkpoint.tensors)
        if (!expected_names.count(name))
            fail(what, fmt::format("unexpected tensor '{}' {} (the model has no such parameter)",
                                   printable(name), shape_str(tensor.shape())));
}

}  // namespace hd
