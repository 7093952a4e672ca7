"""A token count for text whose upstream reported no `usage` (a stream without
`stream_options.include_usage`, a model server that omits it).

No tokenizer is at hand for an arbitrary upstream, so this is the usual rule of thumb, erring
high: one token per 4 ASCII characters, one per other character (a Japanese character is one to
two tokens in common tokenizers). Limits built on it are approximate for such answers.
"""

from __future__ import annotations

from collections.abc import Iterable


def estimate_tokens(texts: Iterable[str]) -> int:
    total = 0
    for text in texts:
        ascii_chars = sum(1 for c in text if c < "\x80")
        total += -(-ascii_chars // 4) + (len(text) - ascii_chars)
    return total
