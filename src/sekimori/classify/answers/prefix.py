"""Answer prefixes as a stream screen sees them: the first N tokens of an answer.

Tokens are approximated without a model tokenizer, so prefixes are the same whatever encoder
runs: a Latin word or number is one token, every punctuation mark is one, and each Japanese
character (kana or kanji) is one. Subword tokenizers split English a little finer and Japanese
a little coarser, so "64 tokens" here is close to 64 model tokens in both languages.
"""

from __future__ import annotations

import re

# The streamed prefixes the answer judges are trained and evaluated on; None is the whole answer.
PREFIX_TOKENS: tuple[int | None, ...] = (64, 128, 256, None)

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]|\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    return sum(1 for _ in _TOKEN.finditer(text))


def take_tokens(text: str, n: int | None) -> str:
    """The shortest prefix of `text` holding its first `n` tokens (all of it when n is None)."""
    if n is None:
        return text
    if n <= 0:
        raise ValueError(f"prefix length must be positive, got {n}")
    for i, match in enumerate(_TOKEN.finditer(text), 1):
        if i == n:
            return text[: match.end()]
    return text
