"""Passport numbers: one or two letters and 7-8 digits, or 9 digits, just after a passport label."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import after_labels
from sekimori.classify.pii.types import PiiSpan, PiiType

_LABELS = ("旅券", "パスポート", "passport")
_NUMBER = re.compile(
    r"[^\n]{0,30}?(?<![0-9A-Za-zＡ-Ｚ０-９])(?P<number>[A-ZＡ-Ｚ]{1,2}[0-9０-９]{7,8}|[0-9０-９]{9})"
    r"(?![0-9A-Za-zＡ-Ｚ０-９])"
)


@DETECTORS.register("passport")
def detect_passport(text: str) -> Iterator[PiiSpan]:
    for hit in after_labels(text, _LABELS, _NUMBER, any_case=True):
        m = hit.match
        yield PiiSpan(m.start("number"), m.end("number"), PiiType.PASSPORT, 0.95)
