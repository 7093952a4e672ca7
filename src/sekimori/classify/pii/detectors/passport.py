"""Passport numbers: one or two letters and 7-8 digits, or 9 digits, just after a passport label."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_LABELLED = re.compile(
    r"(?:旅券|パスポート|[Pp]assport|PASSPORT)[^\n]{0,30}?"
    r"(?<![0-9A-Za-zＡ-Ｚ０-９])(?P<number>[A-ZＡ-Ｚ]{1,2}[0-9０-９]{7,8}|[0-9０-９]{9})"
    r"(?![0-9A-Za-zＡ-Ｚ０-９])"
)


@DETECTORS.register("passport")
def detect_passport(text: str) -> Iterator[PiiSpan]:
    for m in _LABELLED.finditer(text):
        yield PiiSpan(m.start("number"), m.end("number"), PiiType.PASSPORT, 0.95)
