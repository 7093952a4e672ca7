"""GitLab tokens: personal, deploy and runner tokens by their documented prefixes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_TOKEN = re.compile(r"gl(?<![A-Za-z0-9_\-]..)(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{20,}")


@DETECTORS.register("gitlab")
def detect_gitlab(text: str) -> Iterator[PiiSpan]:
    if "gl" not in text:
        return
    for m in _TOKEN.finditer(text):
        yield PiiSpan(m.start(), m.end(), PiiType.GITLAB_TOKEN, 0.99)
