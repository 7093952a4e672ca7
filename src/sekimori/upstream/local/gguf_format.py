"""A reader for the GGUF container: metadata fields and memory-mapped tensor bytes.

The `gguf` package's own reader builds one numpy view per vocabulary string, which takes several
seconds for a 150k-token vocabulary; this one reads the header with `struct` in a fraction of
that. Dequantisation is still left to `gguf.quants`.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sekimori.errors import ModelError

MAGIC = b"GGUF"
_STRING, _ARRAY = 8, 9
# GGUF metadata value types with a fixed size: struct format, numpy dtype.
_SCALARS: Mapping[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}


@dataclass(frozen=True, slots=True)
class TensorBytes:
    """One tensor's raw bytes, shaped (rows..., bytes per row) as `gguf.quants` expects."""

    name: str
    ggml_type: int
    data: np.ndarray


@dataclass(frozen=True, slots=True)
class GGUFContents:
    fields: Mapping[str, Any]
    tensors: Mapping[str, TensorBytes]


class _Cursor:
    def __init__(self, buffer: mmap.mmap) -> None:
        self.buffer = buffer
        self.pos = 0

    def scalar(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buffer, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        size = self.scalar("<Q")
        end = self.pos + size
        if end > len(self.buffer):
            raise EOFError
        text = self.buffer[self.pos : end].decode("utf-8")
        self.pos = end
        return text

    def value(self, kind: int) -> Any:
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.scalar("<I"), self.scalar("<Q")
            if item_kind == _STRING:
                return [self.string() for _ in range(count)]
            fmt = _SCALARS.get(item_kind)
            if fmt is None:
                raise ValueError(f"unsupported array item type {item_kind}")
            dtype = np.dtype(fmt)
            items = np.frombuffer(self.buffer, dtype=dtype, count=count, offset=self.pos)
            self.pos += dtype.itemsize * count
            return items.tolist()
        fmt = _SCALARS.get(kind)
        if fmt is None:
            raise ValueError(f"unsupported value type {kind}")
        return self.scalar(fmt)


def read(path: Path, block_sizes: Callable[[int], tuple[int, int]]) -> GGUFContents:
    """Parse `path`; `block_sizes(ggml_type)` gives (elements per block, bytes per block)."""
    try:
        with path.open("rb") as fh:
            buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read GGUF file {path}: {exc}") from exc
    cursor = _Cursor(buffer)
    key = "header"
    try:
        if buffer[:4] != MAGIC:
            raise ValueError("not a GGUF file (bad magic)")
        cursor.pos = 4
        version = cursor.scalar("<I")
        if version not in (2, 3):
            raise ValueError(f"unsupported GGUF version {version}")
        tensor_count, field_count = cursor.scalar("<Q"), cursor.scalar("<Q")
        fields: dict[str, Any] = {}
        for _ in range(field_count):
            key = cursor.string()
            fields[key] = cursor.value(cursor.scalar("<I"))
        infos = []
        for _ in range(tensor_count):
            key = cursor.string()
            dims = [cursor.scalar("<Q") for _ in range(cursor.scalar("<I"))]
            infos.append((key, dims, cursor.scalar("<I"), cursor.scalar("<Q")))
        alignment = int(fields.get("general.alignment", 32))
        start = -(-cursor.pos // alignment) * alignment
        tensors: dict[str, TensorBytes] = {}
        for key, dims, ggml_type, offset in infos:
            block, block_bytes = block_sizes(ggml_type)
            row = dims[0] // block * block_bytes
            rows = list(reversed(dims[1:]))
            count = row * int(np.prod(rows, dtype=np.int64))
            data = np.frombuffer(buffer, dtype=np.uint8, count=count, offset=start + offset)
            tensors[key] = TensorBytes(key, ggml_type, data.reshape(*rows, row))
    except (struct.error, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: malformed GGUF near {key!r}: {exc or 'truncated'}") from None
    return GGUFContents(fields=fields, tensors=tensors)
