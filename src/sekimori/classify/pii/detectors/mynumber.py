"""Japanese My Number (個人番号): 12 digits whose last is a mod-11 check digit, with context.

One random 12-digit number in eleven passes the check, so without a label such as
「マイナンバー」 the score stays below the default threshold.
"""

from __future__ import annotations

import operator
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

_SEP = f"(?:{HYPHEN}|{SPACE})?"
_CANDIDATE = re.compile(
    rf"{first('[0-9０-９]')}\d{{3}}{_SEP}\d{{4}}{_SEP}\d{{4}}{NOT_BEFORE_ALNUM}"
)
_LABELS = re.compile(r"マイナンバー|個人番号|my\s*number|individual\s*number", re.IGNORECASE)


# The formula's weight of each of the 11 digits, left to right.
_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def check_digit(first11: str) -> int:
    """The check digit for the first 11 digits (総務省令 formula)."""
    if len(first11) == 11 and first11.isascii() and first11.isdigit():
        total = sum(map(operator.mul, map(int, first11), _WEIGHTS))
        rem = total % 11
        return 0 if rem <= 1 else 11 - rem
    total = 0
    for n, ch in enumerate(reversed(first11), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(ch) * q
    rem = total % 11
    return 0 if rem <= 1 else 11 - rem


def is_valid(number: str) -> bool:
    d = digits(number)
    return len(d) == 12 and check_digit(d[:11]) == int(d[11])


@DETECTORS.register("my_number")
def detect_my_number(text: str) -> Iterator[PiiSpan]:
    for m in find_long_numbers(_CANDIDATE, text):
        if not is_valid(m.group()):
            continue
        label = last_label(text, m.start(), _LABELS, NEGATIVE_NUMBER_LABELS, window=40)
        if label is False:
            continue
        yield PiiSpan(m.start(), m.end(), PiiType.MY_NUMBER, 0.98 if label else 0.4)
