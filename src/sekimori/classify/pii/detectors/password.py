"""Passwords in URLs (scheme://user:pass@host), connection strings (Password=...;) and
labelled config lines (password: ..., パスワード：...). Placeholders such as ${DB_PASSWORD},
<password>, **** or "changeme"-style words without digits are not reported."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import after_labels
from sekimori.classify.pii.types import PiiSpan, PiiType

_URL = re.compile(r"://[^\s:/@]{1,64}:(?P<pw>[^\s@/]{1,128})@[\w.\-]+")
_LABELS = (
    "pass",
    "pwd",
    "パスワード",
    "暗証番号",
)
_AFTER_LABEL = re.compile(
    # "pass" + word/phrase/wd and an optional _suffix: password_hash, PASS_DB; not "passenger".
    r"(?i:word|phrase|wd)?(?:_\w{1,12})?[\"']?[ \t\u3000]*[:=：][ \t\u3000]*[\"']?"
    r"(?P<pw>[^\s\"',;]{4,128})"
)
_PLACEHOLDER = re.compile(
    r"^(?:\*+|x+|•+|<[^>]*>?|\$\{?\w*\}?|\{\{.*|%\w*|\(.*|null|none|true|false|required|"
    r"optional|string|password|your\w*|example\w*|redacted|hidden|env\b.*|os\.environ.*|process\.env.*)$",
    re.IGNORECASE,
)


def _looks_secret(value: str) -> bool:
    if _PLACEHOLDER.match(value):
        return False
    kinds = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )
    return kinds >= 2 or len(value) >= 12


@DETECTORS.register("password")
def detect_password(text: str) -> Iterator[PiiSpan]:
    if "://" in text:
        for m in _URL.finditer(text):
            if _looks_secret(m.group("pw")):
                yield PiiSpan(m.start("pw"), m.end("pw"), PiiType.PASSWORD, 0.95)
    for hit in after_labels(text, _LABELS, _AFTER_LABEL, any_case=True):
        m = hit.match
        if _looks_secret(m.group("pw")):
            yield PiiSpan(m.start("pw"), m.end("pw"), PiiType.PASSWORD, 0.9)
