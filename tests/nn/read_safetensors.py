"""read_safetensors.py — an independent safetensors reader (and a tiny writer) that
hdiff's interoperability test runs, to show that our files follow the format and not
merely our own reading of it.

It uses only the Python standard library (json, struct), so the test needs neither
PyTorch nor the safetensors package. It follows the published format: 8-byte
little-endian header length, JSON header, data section addressed by data_offsets.

    python3 read_safetensors.py FILE          print FILE's contents as JSON
    python3 read_safetensors.py --write FILE  write a small F32 file laid out unlike
                                              hdiff's writer, and print its contents

The printed JSON is {"header_length": N, "metadata": {...}, "tensors": [{"name",
"dtype", "shape", "data_offsets", "values"}, ...]} with tensors in header order.
Non-finite values are printed as the strings "nan", "inf" and "-inf" (JSON has no
such numbers). What it does not do: validate hostile files, or any dtype but F32.
"""

import json
import math
import struct
import sys


def as_json_number(value):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_length].decode("utf-8"))
    data = blob[8 + header_length:]
    tensors = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name}: dtype {entry['dtype']} is not F32")
        begin, end = entry["data_offsets"]
        count = (end - begin) // 4
        values = struct.unpack(f"<{count}f", data[begin:end])
        tensors.append({
            "name": name,
            "dtype": entry["dtype"],
            "shape": entry["shape"],
            "data_offsets": [begin, end],
            "values": [as_json_number(v) for v in values],
        })
    return {"header_length": header_length,
            "metadata": header.get("__metadata__", {}),
            "tensors": tensors}


def write_example(path):
    # Data in reverse name order and an unpadded header: valid, but not what hdiff
    # writes, so hdiff's loader must follow the offsets rather than assume its own layout.
    tensors = [
        ("layer.weight", [2, 3], [0.5 * i - 1.0 for i in range(6)]),
        ("layer.bias", [3], [1.0, -2.0, 3.25]),
        ("empty", [0, 4], []),
        ("scalar", [], [7.0]),
    ]
    header = {"__metadata__": {"writer": "read_safetensors.py", "note": "chien → chat"}}
    data = b""
    for name, shape, values in tensors:
        chunk = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [len(data), len(data) + len(chunk)]}
        data += chunk
    header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)) + header_bytes + data)


def main(argv):
    if len(argv) == 3 and argv[1] == "--write":
        write_example(argv[2])
        path = argv[2]
    elif len(argv) == 2:
        path = argv[1]
    else:
        raise SystemExit("usage: read_safetensors.py [--write] FILE")
    print(json.dumps(read(path), ensure_ascii=False, allow_nan=False))


if __name__ == "__main__":
    main(sys.argv)
