"""Bank account numbers: digits after an account label (口座番号, 普通/当座, account no., routing),
US routing numbers by their ABA checksum, and IBANs by their mod-97 check."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import HYPHEN, NOT_BEFORE_ALNUM, after_labels, digits, first, fold
from sekimori.classify.pii.types import PiiSpan, PiiType

_LABELS = (
    "口座",
    "普通",
    "当座",
    "貯蓄",
    "account",
    "acct",
    "a/c",
    "routing",
    "aba",
    "sort code",
    "bsb",
)
_ROUTING = ("routing", "aba", "bsb")
_NUMBER = re.compile(
    rf"[^\n0-9０-９]{{0,16}}?(?P<number>{first('[0-9０-９]')}(?:{HYPHEN}?[0-9０-９]){{5,16}})"
    rf"{NOT_BEFORE_ALNUM}"
)
# Matched from the check digits (digits are rarer than capitals in prose); the two country
# letters are checked by the look-behind and added back to the span.
_IBAN = re.compile(
    r"[0-9](?<=(?<![A-Za-z0-9])[A-Z]{2}[0-9])[0-9](?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
)


def aba_ok(d: str) -> bool:
    if len(d) != 9:
        return False
    w = (3, 7, 1) * 3
    return sum(int(c) * k for c, k in zip(d, w, strict=True)) % 10 == 0


def iban_ok(value: str) -> bool:
    s = value.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(ch, 36)) for ch in moved)
    return int(num) % 97 == 1


@DETECTORS.register("bank_account")
def detect_bank_account(text: str) -> Iterator[PiiSpan]:
    for hit in after_labels(text, _LABELS, _NUMBER, any_case=True):
        number = hit.match.group("number")
        if hit.label in _ROUTING and not aba_ok(digits(number)):
            continue
        yield PiiSpan(hit.match.start("number"), hit.match.end("number"), PiiType.BANK_ACCOUNT, 0.9)
    for m in _IBAN.finditer(text):
        if iban_ok(fold(text[m.start() - 2 : m.end()])):
            yield PiiSpan(m.start() - 2, m.end(), PiiType.BANK_ACCOUNT, 0.97)
