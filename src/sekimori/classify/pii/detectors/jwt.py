"""JSON Web Tokens: three base64url parts whose header decodes to a JSON object with "alg"."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_JWT = re.compile(
    r"eyJ(?<![A-Za-z0-9_\-]...)[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{0,512}"
    r"(?![A-Za-z0-9_\-])"
)


def _json_object(part: str) -> dict[str, object] | None:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


@DETECTORS.register("jwt")
def detect_jwt(text: str) -> Iterator[PiiSpan]:
    if "eyJ" not in text:
        return
    for m in _JWT.finditer(text):
        header_b64, payload_b64, _sig = m.group().split(".")
        header = _json_object(header_b64)
        if header is None or "alg" not in header or _json_object(payload_b64) is None:
            continue
        yield PiiSpan(m.start(), m.end(), PiiType.JWT, 0.99)
