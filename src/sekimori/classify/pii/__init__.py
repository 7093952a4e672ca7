"""PII and secrets: detectors (one a file, in `DETECTORS`), a scanner, reversible redaction.

>>> from sekimori.classify.pii import redact, restore
>>> r = redact("氏名：山田太郎 TEL 090-1234-5678")
>>> r.text
'氏名：<PERSON_1> TEL <PHONE_1>'
>>> restore(r.text, r.mapping)
'氏名：山田太郎 TEL 090-1234-5678'
"""

from sekimori.classify.pii.base import DETECTORS, Detector
from sekimori.classify.pii.redact import (
    PLACEHOLDER,
    Redaction,
    RedactionSession,
    StreamRestorer,
    redact,
    restore,
)
from sekimori.classify.pii.scanner import Scanner, default_scanner, resolve_overlaps, scan
from sekimori.classify.pii.types import SECRET_TYPES, PiiSpan, PiiType, parse_types

__all__ = [
    "DETECTORS",
    "PLACEHOLDER",
    "SECRET_TYPES",
    "Detector",
    "PiiSpan",
    "PiiType",
    "Redaction",
    "RedactionSession",
    "Scanner",
    "StreamRestorer",
    "default_scanner",
    "parse_types",
    "redact",
    "resolve_overlaps",
    "restore",
    "scan",
]
