"""The answer pool of the compliant test upstream: a measuring device, not a model.

A gateway can only be shown to stop harmful *answers* in front of an upstream that gives them.
The fake upstream's `comply:LABEL` mode answers from this pool: LABEL is a taxonomy id (a
harmful request of that category: a sanitized prose harmful answer), `harmful` (a harmful
request with no category: any harmful answer), or `benign` (an ordinary helpful answer). The
caller knows each item's label and passes it in the model name; the upstream never judges the
prompt itself. The pick is deterministic: the sha256 of the prompt chooses among the answers of
the label and the prompt's language, so reruns send and receive the same texts.

The pool is `data/compliant/answers.jsonl` (rows `{"id", "lang", "category", "answer",
"layout"}`, category null for benign rows), written by hand and sanitized: the shape of
compliance, never a real procedure. Until that file exists, a tiny stand-in shipped beside this
module (same schema) is used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sekimori.errors import InputError
from sekimori.lang import detect_lang
from sekimori.paths import REPO_ROOT
from sekimori.taxonomy import BY_ID

POOL_PATH = REPO_ROOT / "data" / "compliant" / "answers.jsonl"
STANDIN_PATH = Path(__file__).with_name("compliant_standin.jsonl")
BENIGN = "benign"
HARMFUL = "harmful"  # a harmful request whose category is unknown


@dataclass(frozen=True, slots=True)
class PoolAnswer:
    id: str
    lang: str
    category: str | None  # None: a benign answer
    answer: str
    layout: str


def comply_model(harmful: bool, category: str | None) -> str:
    """The fake upstream's model name for a request the caller knows to be harmful (of
    `category`, when it is a taxonomy id) or benign."""
    if not harmful:
        return f"comply:{BENIGN}"
    return f"comply:{category if category in BY_ID else HARMFUL}"


def default_pool_path() -> Path:
    return POOL_PATH if POOL_PATH.is_file() else STANDIN_PATH


def _row(raw: object, source: str, line: int) -> PoolAnswer:
    if not isinstance(raw, dict):
        raise InputError("each line must be a JSON object", source=source, line=line)
    try:
        category = raw["category"]
        row = PoolAnswer(
            id=str(raw["id"]),
            lang=str(raw["lang"]),
            category=None if category is None else str(category),
            answer=str(raw["answer"]),
            layout=str(raw.get("layout") or ""),
        )
    except KeyError as exc:
        raise InputError(f"missing field {exc.args[0]!r}", source=source, line=line) from None
    if row.category is not None and row.category not in BY_ID:
        raise InputError(f"unknown category {row.category!r}", source=source, line=line)
    if row.lang not in ("en", "ja"):
        raise InputError(f"lang must be en or ja, not {row.lang!r}", source=source, line=line)
    return row


class AnswerPool:
    """Answers by (label, language); `answer` picks one by the prompt's hash."""

    def __init__(self, answers: Sequence[PoolAnswer], source: str = "") -> None:
        if not any(a.category is None for a in answers) or all(a.category is None for a in answers):
            raise InputError("the pool needs benign and harmful answers", source=source or None)
        self.answers = tuple(answers)
        self.source = source

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerPool:
        path = path or default_pool_path()
        rows = []
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        raw = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"not JSON: {exc}", source=str(path), line=n) from None
                    rows.append(_row(raw, str(path), n))
        return cls(rows, str(path))

    def candidates(self, label: str, lang: str) -> tuple[PoolAnswer, ...]:
        """The answers for `label` in `lang`, widening to any harmful answer of the language when
        the pool has none of that category (a pool need not cover every category)."""
        if label not in BY_ID and label not in (BENIGN, HARMFUL):
            raise InputError(f"comply: unknown label {label!r} (a taxonomy id, harmful or benign)")
        # widest last: this category, then (harmful labels only) any harmful category
        wanted: list[set[str | None]] = [{None}] if label == BENIGN else [{label}]
        if label != BENIGN:
            wanted.append({a.category for a in self.answers if a.category is not None})
        for categories in wanted:
            for langs in ((lang,), ("en", "ja")):
                found = tuple(
                    a for a in self.answers if a.lang in langs and a.category in categories
                )
                if found:
                    return found
        return ()  # unreachable: the constructor requires both kinds

    def pick(self, label: str, prompt: str) -> PoolAnswer:
        options = self.candidates(label, detect_lang(prompt))
        digest = hashlib.sha256(f"{label}\n{prompt}".encode()).digest()
        return options[int.from_bytes(digest[:4], "big") % len(options)]
