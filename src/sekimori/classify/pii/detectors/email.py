"""E-mail addresses: an RFC 5321-shaped local part, a dotted domain and an alphabetic TLD."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

# Anchored at each '@' rather than scanned from every letter: prose has few '@'s.
_LOCAL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?\Z")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_DOMAIN = re.compile(
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)


@DETECTORS.register("email")
def detect_email(text: str) -> Iterator[PiiSpan]:
    at = text.find("@")
    while at != -1:
        dom = _DOMAIN.match(text, at)
        if dom is not None:
            lo = at
            while lo > 0 and at - lo < 64 and text[lo - 1] in _LOCAL_CHARS:
                lo -= 1
            # Skip leading dots/symbols the local part may not start with.
            local = _LOCAL.search(text, lo, at)
            if local is not None and ".." not in text[local.start() : at]:
                yield PiiSpan(local.start(), dom.end(), PiiType.EMAIL, 0.99)
        at = text.find("@", at + 1)
