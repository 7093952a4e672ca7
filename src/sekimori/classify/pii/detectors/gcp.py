"""Google Cloud API keys (AIza...). Service-account private keys are PEM blocks (private_key.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_API_KEY = re.compile(r"AIza(?<![A-Za-z0-9_\-]....)[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])")


@DETECTORS.register("gcp")
def detect_gcp(text: str) -> Iterator[PiiSpan]:
    if "AIza" not in text:
        return
    for m in _API_KEY.finditer(text):
        yield PiiSpan(m.start(), m.end(), PiiType.GCP_API_KEY, 0.99)
