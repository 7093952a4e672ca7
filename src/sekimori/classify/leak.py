"""The no-leak rule: no training text may equal an evaluation-only item after normalisation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sekimori.classify.corpus import Example
from sekimori.classify.evalsets import eval_only_texts
from sekimori.classify.prompt import normalised_view

_SPACE = re.compile(r"\s+")


def leak_key(text: str) -> str:
    """Normalised, case- and whitespace-insensitive form used to compare texts across sets."""
    return _SPACE.sub(" ", normalised_view(text)).strip().casefold()


def eval_keys(root: Path) -> frozenset[str]:
    return frozenset(leak_key(t) for t in eval_only_texts(root))


def leaks(examples: Iterable[Example], keys: frozenset[str]) -> list[Example]:
    """The training examples that equal an evaluation-only item."""
    return [ex for ex in examples if leak_key(ex.text) in keys]
