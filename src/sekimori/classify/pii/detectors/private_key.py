"""PEM private-key blocks, also inside JSON (GCP service-account files escape newlines as \\n)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_PEM = re.compile(
    r"-----BEGIN (?P<kind>(?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
    r"[A-Za-z0-9+/=\s\\:,\-]{16,16384}?"
    r"-----END (?P=kind)PRIVATE KEY(?: BLOCK)?-----"
)


@DETECTORS.register("private_key")
def detect_private_key(text: str) -> Iterator[PiiSpan]:
    if "PRIVATE KEY" not in text:
        return
    for m in _PEM.finditer(text):
        yield PiiSpan(m.start(), m.end(), PiiType.PRIVATE_KEY, 0.99)
