"""An independent safetensors reader (Python 3 standard library only), to check that a
checkpoint written by headstart reads the same outside headstart.

Usage: python3 read_safetensors.py FILE [FIRST_VALUES]
Prints one JSON object: tensors in data order (name, dtype, shape, first values), the
__metadata__ map, the parsed headstart manifest, and sha-256 digests of the data section, of
the whole file, and of the manifest and tensor table (as headstart records it under
__metadata__["headstart.sha256"]).
"""

import hashlib
import json
import struct
import sys


def read(path, first_values):
    with open(path, "rb") as handle:
        raw = handle.read()
    (header_length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_length].decode("utf-8"))
    data = raw[8 + header_length :]
    metadata = header.pop("__metadata__", {})
    entries = sorted(header.items(), key=lambda item: item[1]["data_offsets"])
    tensors = []
    for name, info in entries:
        begin, end = info["data_offsets"]
        if info["dtype"] != "F32":
            raise SystemExit(f"{name}: unexpected dtype {info['dtype']}")
        count = (end - begin) // 4
        values = struct.unpack(f"<{count}f", data[begin:end])
        tensors.append(
            {
                "name": name,
                "dtype": info["dtype"],
                "shape": info["shape"],
                "first": list(values[:first_values]),
            }
        )
    return {
        "headerLength": header_length,
        "tensors": tensors,
        "metadata": metadata,
        "manifest": json.loads(metadata["headstart"]) if "headstart" in metadata else None,
        "dataSha256": hashlib.sha256(data).hexdigest(),
        "headerSha256": header_sha256(metadata.get("headstart", ""), entries),
        "fileSha256": hashlib.sha256(raw).hexdigest(),
    }


def header_sha256(manifest_json, entries):
    # JSON of [manifest text, [[name, dtype, shape, begin, end], ...]] without spaces, as JSON.stringify writes it.
    table = [[name, info["dtype"], info["shape"], *info["data_offsets"]] for name, info in entries]
    text = json.dumps([manifest_json, table], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


if __name__ == "__main__":
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(json.dumps(read(sys.argv[1], first)))
