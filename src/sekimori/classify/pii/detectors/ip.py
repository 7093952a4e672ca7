"""IP addresses, v4 and v6, validated by `ipaddress`; a dotted quad after "version" is a version."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import SHORT_TEXT, context_before
from sekimori.classify.pii.types import PiiSpan, PiiType

# Found from the first dot (a literal the engine skips to quickly), first octet read backwards.
_V4_TAIL = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9])")
_V6 = re.compile(
    r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?"
    r"(?![0-9A-Za-z:])"
)
# A colon with another within four hex digits after it: every _V6 match has its first colon
# there, at most 4 characters after its start, and reads at most 51 characters from its start.
_V6_PAIR = re.compile(r":(?=[0-9A-Fa-f]{0,4}:)")
_V6_BEFORE = 4
_V6_REACH = 64
_V6_FULL_HINT = re.compile(r":[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")
_VERSION = re.compile(
    r"\bv(?:er)?\.?\s*$|version|release|build|バージョン|版|firmware|ファームウェア|oid",
    re.IGNORECASE,
)


def _v6_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of `_V6.finditer(text)`, found from the colon pairs (a literal the engine
    skips to quickly) instead of trying the look-behind at every character."""
    if len(text) < SHORT_TEXT:
        yield from _V6.finditer(text)
        return
    pos = 0
    for pair in _V6_PAIR.finditer(text):
        colon = pair.start()
        if colon < pos:
            continue
        # No match starts between `pos` and `colon - 4`: it would need a colon pair earlier.
        # Matches starting by `colon` read below `colon + _V6_REACH`, so the bound changes none
        # of them; a match found further on may have been cut short by it and is left for its
        # own colon pair.
        m = _V6.search(text, max(pos, colon - _V6_BEFORE), colon + _V6_REACH)
        if m is not None and m.start() <= colon:
            yield m
            pos = m.end()


@DETECTORS.register("ip_address")
def detect_ip(text: str) -> Iterator[PiiSpan]:
    if "." in text:
        for m in _V4_TAIL.finditer(text):
            start = m.start()
            while start > 0 and m.start() - start < 3 and "0" <= text[start - 1] <= "9":
                start -= 1
            if start == m.start() or (start > 0 and text[start - 1] in "0123456789."):
                continue
            value = text[start : m.end()]
            parts = value.split(".")
            if any((len(p) > 1 and p[0] == "0") or int(p) > 255 for p in parts):
                continue
            if context_before(text, start, _VERSION, window=20, behind=1):
                continue
            yield PiiSpan(start, m.end(), PiiType.IP_ADDRESS, 0.95)
    if "::" in text or _V6_FULL_HINT.search(text):
        for m in _v6_matches(text):
            value = m.group()
            if sum(c not in ":" for c in value) < 4:
                continue
            if "::" not in value and value.count(":") < 6:
                continue  # 12:55:39: without "::" an address needs 8 groups (6 and an IPv4 tail)
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield PiiSpan(m.start(), m.end(), PiiType.IP_ADDRESS, 0.95)
