"""Phone numbers: Japanese fixed, mobile, IP and free-dial numbers, and international E.164.

Validation is by digit count per number plan (fixed 10 digits, 070/080/090/050/0800 11 digits,
0120/0570 10 digits; E.164 at most 15), so dates, versions and timestamps do not pass.
Unseparated runs and North American numbers without '+' need a label such as 「電話」 or "Tel".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import (
    ALNUM,
    HYPHEN,
    NEGATIVE_NUMBER_LABELS,
    NOT_BEFORE_ALNUM,
    SPACE,
    after_labels,
    digits,
    find_from_anchors,
    first,
    fold,
    last_label,
)
from sekimori.classify.pii.types import PiiSpan, PiiType

_NOT_AFTER = ALNUM + r"+＋.\-/"
_SEP = rf"(?:{SPACE}?{HYPHEN}{SPACE}?|{SPACE}|\.)"
_OPEN = "[(（]"
_CLOSE = f"[)）]{SPACE}?"
# Starts at the trunk 0, not at "(": brackets are common in prose, zeros after a boundary are not.
_DOMESTIC = re.compile(
    rf"{first('[0０]', _NOT_AFTER)}\d{{0,3}}(?P<first>{_SEP}|{_OPEN}|{_CLOSE})"
    rf"\d{{1,4}}(?:{_SEP}|{_CLOSE})\d{{3,4}}{NOT_BEFORE_ALNUM}(?![.\-]\d)"
)
_COMPACT = re.compile(rf"{first('[0０]', _NOT_AFTER)}\d{{9,10}}{NOT_BEFORE_ALNUM}")
# Where _DOMESTIC and _COMPACT can start (they begin with `first('[0０]', _NOT_AFTER)`).
_TRUNK_ZEROS = (re.compile(first("0", _NOT_AFTER)), re.compile(first("０", _NOT_AFTER)))
_INTL = re.compile(
    rf"{first('[+＋]', ALNUM + '+＋')}\d{{1,3}}(?:{_SEP}?{_OPEN}?\d{{1,4}}[)）]?){{2,5}}"
    rf"{NOT_BEFORE_ALNUM}(?![.\-]\d)"
)
_PLUS_SIGNS = (re.compile(first(r"\+", ALNUM + "+＋")), re.compile(first("＋", ALNUM + "+＋")))
# North American numbers without +1: "(415) 555-0100" alone, "415-555-0100" only after a label.
_NANP_PAREN = re.compile(rf"{first(_OPEN)}[2-9]\d\d{_CLOSE}[2-9]\d\d[\-.]\d{{4}}{NOT_BEFORE_ALNUM}")
_OPENINGS = (re.compile(first(r"\(")), re.compile(first("（")))
_NANP_LABELS = (
    "tel",
    "phone",
    "call",
    "fax",
    "mobile",
    "cell",
    "電話",
    "携帯",
)
_NANP_AFTER_LABEL = re.compile(
    r"[^\n0-9]{0,12}?"
    rf"(?P<number>{first('[2-9]')}\d\d[\-. ][2-9]\d\d[\-.]\d{{4}}){NOT_BEFORE_ALNUM}"
)
_LABELS = re.compile(
    r"電話|携帯|tel|fax|ファックス|ファクス|phone|mobile|cell|call|連絡先|直通|内線|代表|"
    r"問い合わせ|問合せ|contact|☎|📞",
    re.IGNORECASE,
)
_MOBILE = ("070", "080", "090", "060", "050")


def _domestic_ok(d: str) -> bool:
    if d.startswith(("0120", "0570", "0990")):
        return len(d) == 10
    if d.startswith(_MOBILE) or d.startswith("0800"):
        return len(d) == 11
    return len(d) == 10 and d[1] != "0"


def _intl_ok(value: str) -> bool:
    d = digits(value)
    if not 8 <= len(d) <= 15:
        return False
    if d.startswith("81"):
        # "+81 (0)3 ..." keeps the trunk zero in brackets; the plan checks the national part.
        national = d[2:]
        if "(0)" in fold(value).replace(" ", ""):
            national = national[1:]
        return _domestic_ok("0" + national)
    return True


@DETECTORS.register("phone")
def detect_phone(text: str) -> Iterator[PiiSpan]:
    for m in find_from_anchors(_DOMESTIC, text, _TRUNK_ZEROS):
        if not _domestic_ok(digits(m.group())):
            continue
        start = m.start()
        if start > 0 and text[start - 1] in "(（" and m.group("first")[0] in ")）":
            start -= 1  # (03)1234-5678
        label = last_label(text, start, _LABELS, NEGATIVE_NUMBER_LABELS)
        if label is False:
            continue
        dots = "." in m.group()
        if dots and not label:
            continue
        yield PiiSpan(start, m.end(), PiiType.PHONE, 0.97 if label or not dots else 0.8)
    for m in find_from_anchors(_COMPACT, text, _TRUNK_ZEROS):
        d = digits(m.group())
        if not _domestic_ok(d):
            continue
        label = last_label(text, m.start(), _LABELS, NEGATIVE_NUMBER_LABELS)
        if label is False:
            continue
        if label or d.startswith(("070", "080", "090", "0120")):
            yield PiiSpan(m.start(), m.end(), PiiType.PHONE, 0.95 if label else 0.8)
    for m in find_from_anchors(_INTL, text, _PLUS_SIGNS):
        if _intl_ok(m.group()):
            yield PiiSpan(m.start(), m.end(), PiiType.PHONE, 0.95)
    for m in find_from_anchors(_NANP_PAREN, text, _OPENINGS):
        if last_label(text, m.start(), _LABELS, NEGATIVE_NUMBER_LABELS) is not False:
            yield PiiSpan(m.start(), m.end(), PiiType.PHONE, 0.9)
    for hit in after_labels(text, _NANP_LABELS, _NANP_AFTER_LABEL, any_case=True):
        m = hit.match
        yield PiiSpan(m.start("number"), m.end("number"), PiiType.PHONE, 0.9)
