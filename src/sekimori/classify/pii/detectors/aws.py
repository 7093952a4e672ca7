"""AWS credentials: access key ids by their prefix, secret keys by the label beside them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import after_labels
from sekimori.classify.pii.types import PiiSpan, PiiType

_KEY_ID = re.compile(r"A(?<![A-Z0-9].)(?:KIA|SIA|BIA|CCA|GPA|IDA|ROA)[A-Z2-7]{16}(?![A-Z0-9])")
_SECRET_LABELS = (
    "secret_access_key",
    "secretaccesskey",
    "aws_secret",
    "シークレットアクセスキー",
    "シークレットキー",
)
_SECRET = re.compile(
    r"\w{0,20}[\"']?\s*[:=：]?\s*[\"']?(?P<key>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)


@DETECTORS.register("aws")
def detect_aws(text: str) -> Iterator[PiiSpan]:
    for m in _KEY_ID.finditer(text):
        yield PiiSpan(m.start(), m.end(), PiiType.AWS_ACCESS_KEY, 0.99)
    for hit in after_labels(text, _SECRET_LABELS, _SECRET, any_case=True):
        m = hit.match
        yield PiiSpan(m.start("key"), m.end("key"), PiiType.AWS_SECRET_KEY, 0.97)
