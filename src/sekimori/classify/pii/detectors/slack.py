"""Slack tokens (xoxb-, xoxp-, xoxa-, xoxe-, xapp-) and incoming-webhook URLs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sekimori.classify.pii.base import DETECTORS
from sekimori.classify.pii.types import PiiSpan, PiiType

_TOKEN = re.compile(
    r"(?:xox[abposer]-[0-9A-Za-z]+(?:-[0-9A-Za-z]+){1,5}|xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]+"
    r"|https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+)"
)


@DETECTORS.register("slack")
def detect_slack(text: str) -> Iterator[PiiSpan]:
    if "xox" not in text and "xapp-" not in text and "hooks.slack" not in text:
        return
    for m in _TOKEN.finditer(text):
        if len(m.group()) >= 20 and (m.start() == 0 or not text[m.start() - 1].isalnum()):
            yield PiiSpan(m.start(), m.end(), PiiType.SLACK_TOKEN, 0.99)
