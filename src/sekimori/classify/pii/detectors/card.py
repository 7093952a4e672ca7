"""Payment card numbers: issuer (IIN) range and length, then the Luhn checksum.

A Luhn-valid number in a card range under an order or invoice label is an order number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import (
    HYPHEN,
    NEGATIVE_NUMBER_LABELS,
    NOT_BEFORE_ALNUM,
    SPACE,
    digits,
    find_long_numbers,
    first,
    last_label,
)
from sekimori.classify.pii.types import PiiSpan, PiiType

_D = r"[0-9０-９]"
_SEP = f"(?:{HYPHEN}|{SPACE})?"
# Groups of 4 (Visa, Mastercard, JCB ...) or Amex/Diners 4-6-5 / 4-6-4; or one run.
_CANDIDATE = re.compile(
    rf"{first(_D)}(?:\d{{3}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{1,4}}(?:{_SEP}\d{{3}})?"
    rf"|\d{{3}}{_SEP}\d{{6}}{_SEP}\d{{4,5}}|\d{{12,18}}){NOT_BEFORE_ALNUM}"
)
_LABELS = re.compile(
    r"カード|クレジット|card|visa|master|amex|american express|jcb|diners|discover|unionpay|"
    r"cc\s*(?:no|num)|pan\b|決済|支払|payment",
    re.IGNORECASE,
)


# A digit's contribution when the Luhn sum doubles it.
_DOUBLED = {str(n): n * 2 - 9 if n > 4 else n * 2 for n in range(10)}


def luhn_ok(d: str) -> bool:
    if d.isascii() and d.isdigit():
        # Every second digit from the right is doubled.
        return (sum(map(int, d[-1::-2])) + sum(map(_DOUBLED.__getitem__, d[-2::-2]))) % 10 == 0
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iin_ok(d: str) -> bool:
    n = len(d)
    p2, p4 = int(d[:2]), int(d[:4])
    if d[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if 300 <= int(d[:3]) <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19
    if d.startswith("6011") or p2 == 65 or 644 <= int(d[:3]) <= 649:
        return 16 <= n <= 19
    if p2 == 62:
        return 16 <= n <= 19
    return False


def is_card_number(value: str) -> bool:
    d = digits(value)
    return 13 <= len(d) <= 19 and _iin_ok(d) and luhn_ok(d)


@DETECTORS.register("card")
def detect_card(text: str) -> Iterator[PiiSpan]:
    for m in find_long_numbers(_CANDIDATE, text):
        if not is_card_number(m.group()):
            continue
        label = last_label(text, m.start(), _LABELS, NEGATIVE_NUMBER_LABELS, window=40)
        if label is False:
            continue
        yield PiiSpan(m.start(), m.end(), PiiType.CARD, 0.99 if label else 0.85)
