"""Byte-level BPE tokenizer rebuilt from a GGUF file's metadata (vocab, merges, pre-tokenizer).

Encoding uses the `tokenizers` package; decoding maps every token id to its raw bytes so that a
streamed answer can be decoded incrementally without splitting a UTF-8 character (Japanese
characters often span two or three tokens).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sekimori.errors import ModelError
from sekimori.upstream.local.weights import INSTALL_HINT

# GGUF token types (llama.cpp's llama_token_type).
_CONTROL = 3
_USER_DEFINED = 4

# Qwen2's split pattern (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2, HF tokenizer.json).
_QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError:
        raise ModelError(
            f"the local model needs the 'tokenizers' package; {INSTALL_HINT}"
        ) from None
    return tokenizers


def _smollm(tk: Any) -> Any:
    # HF SmolLM2: single digits first, then the GPT-2 byte-level regex.
    pre = tk.pre_tokenizers
    return pre.Sequence(
        [pre.Digits(individual_digits=True), pre.ByteLevel(add_prefix_space=False, use_regex=True)]
    )


def _qwen2(tk: Any) -> Any:
    pre = tk.pre_tokenizers
    return pre.Sequence(
        [
            pre.Split(tk.Regex(_QWEN2_PATTERN), behavior="isolated", invert=False),
            pre.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )


# Keyed by GGUF `tokenizer.ggml.pre`; only pre-tokenizers checked against the model's own.
_PRE_TOKENIZERS: Mapping[str, Callable[[Any], Any]] = {"smollm": _smollm, "qwen2": _qwen2}
_NFC = frozenset({"qwen2"})


@lru_cache(maxsize=1)
def _unicode_to_byte() -> dict[str, int]:
    """Inverse of GPT-2's bytes_to_unicode: printable stand-ins back to raw bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    table = {chr(b): b for b in printable}
    shift = 0
    for b in range(256):
        if b not in printable:
            table[chr(256 + shift)] = b
            shift += 1
    return table


@dataclass(frozen=True, slots=True)
class SpecialTokens:
    bos: int | None
    eos: int
    end_of_turn: frozenset[int]


class Tokenizer:
    """Encodes text to ids and decodes ids to bytes, as the model was trained."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        tk = _tokenizers()
        model = fields.get("tokenizer.ggml.model")
        pre_name = fields.get("tokenizer.ggml.pre")
        if model != "gpt2":
            raise ModelError(f"unsupported tokenizer model {model!r} (only byte-level BPE 'gpt2')")
        build_pre = _PRE_TOKENIZERS.get(str(pre_name))
        if build_pre is None:
            known = ", ".join(sorted(_PRE_TOKENIZERS))
            raise ModelError(f"unsupported pre-tokenizer {pre_name!r}; supported: {known}")
        tokens: list[str] = list(fields["tokenizer.ggml.tokens"])
        types: list[int] = [int(t) for t in fields["tokenizer.ggml.token_type"]]
        merges = [tuple(m.split(" ", 1)) for m in fields["tokenizer.ggml.merges"]]
        self.vocab_size = len(tokens)
        self.tokens = tokens

        bpe = tk.models.BPE(
            vocab={tok: i for i, tok in enumerate(tokens)}, merges=merges, fuse_unk=False
        )
        self._tk = tk.Tokenizer(bpe)
        if pre_name in _NFC:
            self._tk.normalizer = tk.normalizers.NFC()
        self._tk.pre_tokenizer = build_pre(tk)
        self._tk.decoder = tk.decoders.ByteLevel()
        specials = [tok for tok, kind in zip(tokens, types, strict=True) if kind == _CONTROL]
        self._tk.add_special_tokens(
            [tk.AddedToken(s, special=True, normalized=False) for s in specials]
        )
        # Special tokens only ever come from the chat template, never from user text: a message
        # containing "<|im_start|>" must not forge a turn boundary.
        self._tk.encode_special_tokens = True
        self._ids = {tok: i for i, tok in enumerate(tokens)}

        to_byte = _unicode_to_byte()
        self._bytes: list[bytes] = []
        for tok, kind in zip(tokens, types, strict=True):
            if kind == _CONTROL:
                self._bytes.append(b"")
            elif kind == _USER_DEFINED:
                self._bytes.append(tok.encode("utf-8"))
            else:
                self._bytes.append(bytes(to_byte[ch] for ch in tok))

        eos = int(fields["tokenizer.ggml.eos_token_id"])
        bos = fields.get("tokenizer.ggml.bos_token_id")
        end_of_turn = {eos}
        for name in ("<|im_end|>", "<|endoftext|>"):
            if name in self._ids:
                end_of_turn.add(self._ids[name])
        self.special = SpecialTokens(
            bos=int(bos) if bos is not None else None, eos=eos, end_of_turn=frozenset(end_of_turn)
        )

    def token_id(self, token: str) -> int:
        try:
            return self._ids[token]
        except KeyError:
            raise ModelError(f"token {token!r} is not in the model's vocabulary") from None

    def encode(self, text: str) -> list[int]:
        ids: list[int] = self._tk.encode(text, add_special_tokens=False).ids
        return ids

    def token_bytes(self, token_id: int) -> bytes:
        return self._bytes[token_id]

    def decode(self, ids: Sequence[int]) -> str:
        return b"".join(self._bytes[i] for i in ids).decode("utf-8", errors="replace")


class StreamDecoder:
    """Turns token ids into text as they arrive, holding back incomplete UTF-8 sequences.

    An answer that ends inside a character (cut by max_tokens) ends before that character.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, token_id: int) -> str:
        text: str = self._utf8.decode(self._tokenizer.token_bytes(token_id))
        return text
