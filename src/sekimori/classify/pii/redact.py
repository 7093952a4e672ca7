"""Reversible redaction: values become placeholders such as `<PERSON_1>` and come back later.

A `RedactionSession` lives as long as a conversation, so the same value gets the same placeholder
in every turn and the model can refer to it consistently. `StreamRestorer` restores placeholders
in a streamed answer, holding back only a tail that could still grow into a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sekimori.classify.pii.scanner import Scanner, shared_scanner
from sekimori.classify.pii.text import digits, fold
from sekimori.classify.pii.types import PiiSpan, PiiType

_NUMERIC = frozenset({PiiType.PHONE, PiiType.CARD, PiiType.MY_NUMBER, PiiType.BANK_ACCOUNT})
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_[0-9]+>")


def _canonical(kind: PiiType, value: str) -> str:
    """How two spellings of one value compare: 090-1234-5678 is ０９０１２３４５６７８."""
    if kind in _NUMERIC:
        return digits(value)
    folded = fold(value)
    return folded.lower() if kind is PiiType.EMAIL else " ".join(folded.split())


@dataclass
class RedactionSession:
    """Placeholders of one conversation: value -> placeholder and back, stable across turns."""

    _by_value: dict[tuple[PiiType, str], str] = field(default_factory=dict)
    _values: dict[str, str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, kind: PiiType, value: str) -> str:
        key = (kind, _canonical(kind, value))
        found = self._by_value.get(key)
        if found is None:
            n = self._counts.get(kind.label, 0) + 1
            self._counts[kind.label] = n
            found = f"<{kind.label}_{n}>"
            self._by_value[key] = found
            self._values[found] = value
        return found

    @property
    def mapping(self) -> Mapping[str, str]:
        """Every placeholder of the conversation so far -> its original value."""
        return dict(self._values)


@dataclass(frozen=True, slots=True)
class Redaction:
    """`text` with placeholders; `mapping` placeholder -> original value; `spans` in the input."""

    text: str
    mapping: Mapping[str, str]
    spans: tuple[PiiSpan, ...] = ()


def redact(
    text: str,
    session: RedactionSession | None = None,
    *,
    scanner: Scanner | None = None,
    types: Iterable[PiiType] | None = None,
) -> Redaction:
    """Replaces the PII and secrets in `text` (only `types`, when given) by placeholders.

    `mapping` holds the placeholders used in this text; the session holds all of them.
    """
    session = session if session is not None else RedactionSession()
    wanted = frozenset(types) if types is not None else None
    spans = [
        s for s in (scanner or shared_scanner()).scan(text) if wanted is None or s.type in wanted
    ]
    out: list[str] = []
    mapping: dict[str, str] = {}
    pos = 0
    for span in spans:
        value = text[span.start : span.end]
        ph = session.placeholder(span.type, value)
        mapping[ph] = session.mapping[ph]
        out.append(text[pos : span.start])
        out.append(ph)
        pos = span.end
    out.append(text[pos:])
    return Redaction("".join(out), mapping, tuple(spans))


def restore(text: str, mapping: Mapping[str, str]) -> str:
    """Puts the original values back; placeholders not in `mapping` are left as they are."""
    if "<" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: mapping.get(m.group(), m.group()), text)


class StreamRestorer:
    """Restores placeholders in a streamed answer, even when one is split across chunks.

    `feed(chunk)` returns the text that can be shown now; only a tail that is a proper prefix
    of a known placeholder is held back. `flush()` returns whatever is held at the end.
    """

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._mapping = dict(mapping)
        self._prefixes = {ph[:i] for ph in self._mapping for i in range(1, len(ph))}
        self._longest = max((len(ph) for ph in self._mapping), default=0)
        self._held = ""

    def feed(self, chunk: str) -> str:
        buf = self._held + chunk
        cut = len(buf)
        lo = max(0, len(buf) - self._longest + 1)
        i = buf.find("<", lo)
        while i != -1:
            if buf[i:] in self._prefixes:
                cut = i
                break
            i = buf.find("<", i + 1)
        self._held = buf[cut:]
        return restore(buf[:cut], self._mapping)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return restore(held, self._mapping)
