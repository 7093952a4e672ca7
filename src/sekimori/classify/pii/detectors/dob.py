"""Dates of birth: a calendar date (Western, Japanese era or English month names) next to a
birth label (生年月日, 誕生日, 生まれ, DOB, date of birth, born). Other dates are not personal.

The search starts from the labels, which are rare, and looks for a date just after them
(or just before 「生まれ」), so ordinary dates and timestamps cost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import after_labels, fold
from sekimori.classify.pii.types import PiiSpan, PiiType

_D = "[0-9０-９]"
_S = "[ \u3000]?"
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"(?<![0-9０-９])(?:"
    rf"(?P<y>(?:19|20|１９|２０){_D}{{2}}){_S}[年/\-.／－]{_S}(?P<m>{_D}{{1,2}}){_S}[月/\-.／－]{_S}"
    rf"(?P<d>{_D}{{1,2}})日?"
    rf"|(?:昭和|平成|令和|大正|[SHRT]\.?){_S}(?:{_D}{{1,2}}|元){_S}[年.]{_S}(?P<em>{_D}{{1,2}}){_S}"
    rf"[月.]{_S}(?P<ed>{_D}{{1,2}})日?"
    rf"|(?P<um>{_D}{{1,2}})[/.](?P<ud>{_D}{{1,2}})[/.](?:19|20){_D}{{2}}"
    rf"|{_MONTHS}\s+{_D}{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20){_D}{{2}}"
    rf"|{_D}{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+(?:19|20){_D}{{2}}"
    rf")(?![0-9０-９])"
)
_BEFORE = (
    "生年月日",
    "誕生日",
    "出生日",
    "dob",
    "d.o.b",
    "of birth",
    "birthdate",
    "birth date",
    "birthday",
    "born",
)
_WINDOW = 25
_ANY_DATE = re.compile(rf"[^\n]{{0,{_WINDOW}}}?(?P<date>{_DATE.pattern})")
# Spelled so that every branch starts with a literal: the engine then skips to those characters
# instead of trying the optional space at every position.
# The last character of every _DATE match.
_DATE_LAST = frozenset("0123456789０１２３４５６７８９日")
_AFTER = re.compile(r" (?:生まれ|生|出生)|\u3000(?:生まれ|生|出生)|生まれ|生|出生")


def _plausible(m: re.Match[str]) -> bool:
    for mk, dk in (("m", "d"), ("em", "ed"), ("um", "ud")):
        if m.group(mk) is not None:
            month, day = int(fold(m.group(mk))), int(fold(m.group(dk)))
            # US order is m/d, most other places d/m: accept either reading.
            if mk == "um" and month > 12:
                month, day = day, month
            return 1 <= month <= 12 and 1 <= day <= 31
    return True


@DETECTORS.register("date_of_birth")
def detect_dob(text: str) -> Iterator[PiiSpan]:
    for hit in after_labels(text, _BEFORE, _ANY_DATE, any_case=True):
        if _plausible(hit.match):
            m = hit.match
            yield PiiSpan(m.start("date"), m.end("date"), PiiType.DATE_OF_BIRTH, 0.95)
    if "生" in text:
        for at in _labels_after(text):
            if text[at - 1 : at] not in _DATE_LAST:
                continue  # no date ends right before the label
            lo = max(0, at - _WINDOW)
            for m in _DATE.finditer(text, lo, at):
                if m.end() == at and _plausible(m):
                    yield PiiSpan(m.start(), m.end(), PiiType.DATE_OF_BIRTH, 0.95)


def _labels_after(text: str) -> Iterator[int]:
    """Where the matches of `_AFTER.finditer(text)` start, found from each 「生」 (every match
    holds one, at most two characters after its start) with `str.find`."""
    pos = 0
    at = text.find("生")
    while at != -1:
        if at >= pos:
            label = _AFTER.search(text, max(pos, at - 2))
            if label is not None:  # always: 「生」 alone matches
                yield label.start()
                pos = label.end()
        at = text.find("生", at + 1)
