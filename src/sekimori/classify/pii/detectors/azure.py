"""Azure keys: storage/Service Bus keys inside connection strings and labelled subscription keys."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.text import after_labels
from sekimori.classify.pii.types import PiiSpan, PiiType

_LABELS = (
    "accountkey",
    "sharedaccesskey",
    "ocp-apim-subscription-key",
    "azure",
)
_KEY = re.compile(
    r"[\w\- ]{0,30}?[\"']?\s*[=:]\s*[\"']?"
    r"(?P<key>[A-Za-z0-9+/]{40,88}={0,2}|[0-9a-fA-F]{32})(?![A-Za-z0-9+/=])"
)


@DETECTORS.register("azure")
def detect_azure(text: str) -> Iterator[PiiSpan]:
    for hit in after_labels(text, _LABELS, _KEY, any_case=True):
        m = hit.match
        yield PiiSpan(m.start("key"), m.end("key"), PiiType.AZURE_KEY, 0.97)
