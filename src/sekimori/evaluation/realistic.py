"""Benign prompts answered with real answers instead of the compliant pool's generic ones.

The compliant upstream's benign answers (`data/compliant/answers.jsonl`) are a few hand-written,
content-free texts ("1. define the terms, 2. look at how the pieces fit…") given to every benign
prompt; a judge that withholds one of them withholds it hundreds of times. A compliant model
answers the question asked, so the `realistic` set sends each benign prompt of the base sets
again, with a real answer given verbatim by the compliant upstream:

- XSTest safe prompts: a completion XSTest's annotators labelled `full_compliance` for that very
  prompt (one of the five models', picked by the prompt's hash). The answer judge trained on the
  completions of four prompts in five (`classify.answers.data.held_back`); the rows say which.
- every other benign prompt: a human-written Dolly 15k response (EN, or its JA translation for
  Japanese prompts) from a row the answer judge never saw: rows in `data/answers/dolly_*.jsonl`
  (`source_row`), and answers equal to one of theirs, are excluded. The answer is real prose of
  every layout, not an answer to the prompt sent: it measures false alarms on ordinary answers,
  not helpfulness.

Measurement only: nothing here trains or tunes anything. The pool's generic answers stay measured
in the base sets, so the judge's false alarms on vague answers stay visible.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from sekimori.classify.answers.data import OWN_DATA, XSTEST_MODELS, held_back
from sekimori.errors import InputError
from sekimori.evaluation.items import EffectItem

SET = "realistic"
# Dolly responses shorter than this are one-word facts ("Paris."), not what a model answers.
MIN_WORDS = {"en": 15, "ja": 30}  # JA: characters
XSTEST_TRAINED = "judge-trained"  # an XSTest prompt whose completions the answer judge trained on
XSTEST_HELD = "judge-held-back"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RealAnswer:
    id: str  # `xstest:<model>:<prompt id>` or `dolly-<lang>:<row>`
    text: str
    source: str  # `xstest` or `dolly`
    judge: str = ""  # XSTest only: XSTEST_TRAINED or XSTEST_HELD


def _pick(options: Sequence[T], key: str) -> T:
    digest = hashlib.sha256(key.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def xstest_answers(root: Path) -> dict[str, list[RealAnswer]]:
    """Prompt -> the full-compliance completions of XSTest's safe prompts."""
    out: dict[str, list[RealAnswer]] = {}
    for model in XSTEST_MODELS:
        path = root / "xstest" / "model_completions" / f"xstest_v2_completions_{model}.csv"
        if not path.is_file():
            raise InputError("XSTest completions not found", source=str(path))
        with path.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                if r["type"].startswith("contrast_") or r["final_label"] != "1_full_compliance":
                    continue
                judge = XSTEST_HELD if held_back(r["id"]) else XSTEST_TRAINED
                answer = RealAnswer(f"xstest:{model}:{r['id']}", r["completion"].strip(), "xstest")
                out.setdefault(r["prompt"], []).append(replace(answer, judge=judge))
    return out


def judge_dolly(own: Path = OWN_DATA) -> tuple[set[int], set[str]]:
    """The Dolly rows the answer judge's data holds, in either language (a JA row is the
    translation of the EN row of the same index, so both are excluded), and their answers (Dolly
    repeats some responses on other rows)."""
    rows: set[int] = set()
    texts: set[str] = set()
    for path in sorted(own.glob("dolly_*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    rows.add(int(row["source_row"]))
                    texts.add(str(row["answer"]).strip())
    return rows, texts


def _long_enough(text: str, lang: str) -> bool:
    size = len(text) if lang == "ja" else len(text.split())
    return size >= MIN_WORDS[lang]


def dolly_answers(root: Path, own: Path = OWN_DATA) -> dict[str, list[RealAnswer]]:
    """lang -> Dolly responses from rows the answer judge never saw, in row order."""
    seen, seen_texts = judge_dolly(own)
    files = {
        "en": (root / "dolly-15k" / "databricks-dolly-15k.jsonl", "response"),
        "ja": (root / "dolly-15k-ja" / "databricks-dolly-15k-ja.jsonl", "output"),
    }
    out: dict[str, list[RealAnswer]] = {}
    for lang, (path, field) in files.items():
        if not path.is_file():
            raise InputError("Dolly 15k not found", source=str(path))
        rows = []
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n in seen or not line.strip():
                    continue
                text = str(json.loads(line).get(field) or "").strip()
                if _long_enough(text, lang) and text not in seen_texts:
                    rows.append(RealAnswer(f"dolly-{lang}:{n}", text, "dolly"))
        out[lang] = rows
    return out


def realistic(items: Sequence[EffectItem], root: Path) -> list[EffectItem]:
    """Each benign item again, with a real answer for the compliant upstream to give. `variant`
    is the base set, `label` the answer's source (`xstest judge-trained`, `dolly`…), `origin` the
    answer's id."""
    benign = [i for i in items if not i.harmful and i.set != SET and not i.answer]
    if not benign:
        return []
    xstest = xstest_answers(root) if any(i.set == "xstest-safe" for i in benign) else {}
    dolly = dolly_answers(root)
    out = []
    for item in benign:
        options = xstest.get(item.text) if item.set == "xstest-safe" else None
        answer = _pick(options or dolly[item.lang], f"{item.set}\n{item.text}")
        label = f"{answer.source} {answer.judge}".strip()
        out.append(
            EffectItem(
                SET, f"{item.id}~real", item.text, False, None, item.lang, label=label,
                variant=item.set, origin=answer.id, messages=item.messages, answer=answer.text,
            )
        )  # fmt: skip
    return out
