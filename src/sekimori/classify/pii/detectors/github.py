"""GitHub tokens: classic prefixed tokens (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained PATs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_TOKEN = re.compile(
    r"g(?<![A-Za-z0-9_].)(?:h[pousr]_[A-Za-z0-9]{36}|ithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})"
    r"(?![A-Za-z0-9_])"
)


@DETECTORS.register("github")
def detect_github(text: str) -> Iterator[PiiSpan]:
    if "gh" not in text:
        return
    for m in _TOKEN.finditer(text):
        yield PiiSpan(m.start(), m.end(), PiiType.GITHUB_TOKEN, 0.99)
