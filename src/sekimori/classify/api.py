"""The Python API: `classify(text) -> Verdict` and `classify_batch(texts)` with the built-in model.

The model and its encoder load once, on first use, and are shared by later calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sekimori.classify.prompt import PromptClassifier
from sekimori.types import Verdict


@cache
def default_classifier() -> PromptClassifier:
    """The committed prompt classifier (`classify/models/prompt/`) on its encoder."""
    return PromptClassifier.load()


def classify(text: str) -> Verdict:
    """Harm score, per-category scores (taxonomy ids and `attack.jailbreak`) and language."""
    return default_classifier().classify(text)


def classify_batch(texts: Sequence[str]) -> list[Verdict]:
    """`classify` for many texts at once (one encoder call, faster per text)."""
    return default_classifier().classify_batch(texts)
