"""Labelled (prompt, answer) examples for the answer judges, and their fixed train/test split.

Two sources:
- XSTest v2 model completions (`<shared>/xstest/model_completions/*.csv`, English, 5 models x 450
  prompts, human labels full_compliance / full_refusal / partial_refusal). Held back for testing:
  every completion of a prompt whose id `v2-N` hashes (sha256) to 0 mod 5, so no prompt is on
  both sides. An answer is harmful when its prompt is one of XSTest's unsafe contrast prompts and
  the model fully complied; the category comes from keywords of the prompt (`_XSTEST_CATEGORY`).
- `data/answers/{en,ja}.jsonl` written for sekimori (see data/answers/README.md), with its own
  `split` field fixed by prompt; and `data/answers/prose_{en,ja}.jsonl`, natural answers written
  one by one in many layouts (prose, lists, tables, JSON, code comments, dialogue), split by topic.
- `data/answers/dolly_{en,ja}.jsonl`: harmless human answers from Dolly 15k (EN and its JA
  translation, CC-BY-SA-3.0), split by Dolly row; `data/answers/benign_{en,ja}.jsonl`: ordinary
  answers written for sekimori in tables, dialogues, steps, JSON, emails and stories.
- `data/answers/formats_{en,ja}.jsonl`: harmful (sanitized) and harmless answers written by hand
  as emails, stories, chat logs, forum posts, speeches, personas, "I can't… but hypothetically"
  leaks; split by request. Their `format` field is read as the example's layout.
- `data/answers/layouts_{en,ja}.jsonl`: the same, as bullet fragments, JSON, stories and scenes,
  headings, CSV, Q&A and tables, weighted to the moderate categories; split by request.
  `data/answers/layouts3_{en,ja}.jsonl`: the same as tables, JSON, YAML, CSV, code comments,
  checklists, dense paragraphs and dialogue; every row in `train`.
- `data/answers/framed_{en,ja}.jsonl` and `data/answers/mail_tables_{en,ja}.jsonl`: harmful
  (sanitized) answers under requests that do not ask for harm, and as e-mails, memos and
  plain-text tables, each beside a harmless answer to the same request; every row in `train`.
- `data/answers/structured_{en,ja}.jsonl`: harmful (sanitized) JSON, YAML, key-value lines,
  tables, CSV, stories, scenes, chats, bullets and dense paragraphs in the categories the judge
  reads worst in them, each beside a harmless twin in the same layout; every row in `train`.
- `data/answers/lookalikes_{en,ja}.jsonl`: hard look-alike pairs (a harmless answer on a hazardous
  topic beside a sanitized harmful one, mostly to the same request) in memos, letters, e-mails,
  chats and JSON; every row in `train`.

Files named `heldout*.jsonl` in the same folder (`heldout_prose.jsonl`, `heldout_prose_v2.jsonl`,
`heldout_prose_v3.jsonl`) are never loaded here: they are written by someone else to validate the
judge once (bench/answers/heldout_prose.py), and must not train or tune it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sekimori.errors import InputError
from sekimori.paths import REPO_ROOT, shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS
from sekimori.types import RefusalLabel

OWN_DATA = REPO_ROOT / "data" / "answers"
XSTEST_MODELS = ("gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct")
PLACEHOLDER = re.compile(r"\[REDACTED[^\]]*\]")
HELD_OUT_PREFIX = "heldout"
# File-name prefix -> source. dolly_*: Dolly 15k human answers (CC-BY-SA-3.0); benign_*: ordinary
# answers written for sekimori in the layouts harmful shapes use (both harmless, issue 15).
_SOURCES = (
    ("prose_", "sekimori-prose"),
    ("dolly_", "dolly"),
    ("benign_", "sekimori-benign"),
    # formats_*: answers shaped as emails, stories, chats, speeches... (issue 15)
    ("formats_", "sekimori-formats"),
    # layouts_*: bullet fragments, JSON, stories, headings, CSV, Q&A, tables (issue 15, round 9)
    ("layouts_", "sekimori-layouts"),
    # layouts3_*: tables, JSON, YAML, CSV, code comments, checklists, paragraphs, dialogue
    # (issue 15, judge3; training rows only)
    ("layouts3_", "sekimori-layouts"),
    # framed_*: harmful JSON, stories, lists under requests that do not ask for harm ("Continue.",
    # "Now as JSON."), beside harmless twins (issue 15, judge); training rows only. Not a floor
    # source: the threshold and first-stage rules stay computed on the same harmful sets.
    ("framed_", "sekimori-framed"),
    # mail_tables_*: harmful e-mails, replies, forwards, memos and plain-text tables beside harmless
    # answers to the same requests in the same layouts (issue 15, judge12); training rows only,
    # outside the recall floor like framed_*.
    ("mail_tables_", "sekimori-mail-tables"),
    # structured_*: harmful JSON/YAML/key-value/table/CSV answers, stories, scenes, chats, bullets
    # and dense paragraphs (deception, crime.nonviolent, hate, self_harm, crime.violent,
    # weapons.conventional) beside harmless twins in the same layouts (issue 15, judgedata,
    # 2026-12-07, for the next retrain); training rows only, outside the recall floor.
    ("structured_", "sekimori-structured"),
    # lookalikes_*: hard look-alike pairs (a harmless answer on a hazardous topic beside a sanitized
    # harmful one, mostly to the same request) in memos, letters, e-mails, chats and JSON (issue 15,
    # round 14, judge14); training rows only, outside the recall floor.
    ("lookalikes_", "sekimori-lookalikes"),
    # handwritten_r18_twins_*: one harmless twin per harmful answer of handwritten_r18, on its topic
    # and in its layout (biosafety, response, reporting, hardening, crisis support; issue 15, wt2
    # helper); before handwritten_r18_ so the longer prefix wins; outside the recall floor.
    ("handwritten_r18_twins_", "sekimori-handwritten-r18-twins"),
    # handwritten_r18_*: sanitized harmful answers as natural prose and in many layouts, Japanese
    # first, beside refusals, overviews and safe answers on the same topics (issue 15, round 18,
    # wj helper); training rows only, outside the recall floor; its own source, so a
    # source-held-out check (`--exclude-source`) stays possible.
    ("handwritten_r18_", "sekimori-handwritten-r18"),
)

_XSTEST_LABELS = {
    "1_full_compliance": RefusalLabel.COMPLIANCE,
    "2_full_refusal": RefusalLabel.REFUSAL,
    "3_partial_refusal": RefusalLabel.PARTIAL,
}
# First match wins; anything else among the unsafe prompts is violent crime.
_XSTEST_CATEGORY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("self_harm", re.compile(r"myself|my own|my arm|my life|suicide|to die like", re.I)),
    ("deception", re.compile(r"never (?:took place|happened)|make people believe", re.I)),
    (
        "hate",
        re.compile(
            r"gay|women|black people|roma|immigrants|jim crow|taliban|ethnic cleansing|eradicate",
            re.I,
        ),
    ),
    (
        "privacy",
        re.compile(
            r"history\?|birth|license|passport|labour union|address|phone number|e-?mail|"
            r"social security|medical records",
            re.I,
        ),
    ),
    ("weapons.conventional", re.compile(r"bomb|explo|blow up", re.I)),
    (
        "crime.nonviolent",
        re.compile(
            r"launder|cocaine|ecstasy|lsd|crack|marihuana|fraud|identity theft|steal|rob|"
            r"break into|vault|tires|destroy .*car|drugs?",
            re.I,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class AnswerExample:
    id: str
    source: str
    lang: str
    split: str
    prompt: str
    answer: str
    refusal: RefusalLabel
    harmful: bool
    category: str | None
    # prose, list, table, json, code_comment, ... (prose files); email, story, chat... (formats)
    layout: str | None = None


def held_back(key: str) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 5 == 0


def training_text(text: str) -> str:
    """Our harmful shapes carry [REDACTED] placeholders that real answers never contain; an
    ellipsis keeps the shape without teaching the heads that the placeholder means harm."""
    return PLACEHOLDER.sub("…", text)


def xstest_category(prompt: str) -> str:
    for cat, pattern in _XSTEST_CATEGORY:
        if pattern.search(prompt):
            return cat
    return "crime.violent"


def load_xstest(shared: Path | None = None) -> list[AnswerExample]:
    folder = (shared or shared_data_dir()) / "xstest" / "model_completions"
    examples = []
    for model in XSTEST_MODELS:
        path = folder / f"xstest_v2_completions_{model}.csv"
        if not path.is_file():
            raise InputError(
                "XSTest completions not found; set SEKIMORI_SHARED_DATA to the shared data folder",
                source=str(path),
            )
        with path.open(encoding="utf-8", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), 2):
                try:
                    label = _XSTEST_LABELS[row["final_label"]]
                except KeyError:
                    raise InputError(
                        f"unknown final_label {row.get('final_label')!r}",
                        source=str(path),
                        line=line,
                    ) from None
                unsafe = row["type"].startswith("contrast_")
                harmful = unsafe and label is RefusalLabel.COMPLIANCE
                examples.append(
                    AnswerExample(
                        id=f"xstest-{model}-{row['id']}",
                        source=f"xstest-{model}",
                        lang="en",
                        split="test" if held_back(row["id"]) else "train",
                        prompt=row["prompt"],
                        answer=row["completion"].strip(),
                        refusal=label,
                        harmful=harmful,
                        category=xstest_category(row["prompt"]) if harmful else None,
                    )
                )
    return examples


def source_of(path: Path) -> str:
    """The source an own file's examples are reported under: prose and benign files apart from
    the template-composed ones (their recall and false-alarm figures are read separately)."""
    for prefix, source in _SOURCES:
        if path.name.startswith(prefix):
            return source
    return "sekimori"


def load_jsonl(path: Path) -> list[AnswerExample]:
    """Our own examples; a malformed line raises InputError naming the file and line."""
    examples = []
    source = source_of(path)
    with path.open(encoding="utf-8") as fh:
        for line, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                category = row.get("category")
                if category is not None and category not in CATEGORY_IDS:
                    raise ValueError(f"unknown category {category!r}")
                examples.append(
                    AnswerExample(
                        id=str(row["id"]),
                        source=source,
                        lang=str(row["lang"]),
                        split=str(row["split"]),
                        prompt=str(row["prompt"]),
                        answer=str(row["answer"]),
                        refusal=RefusalLabel(row["refusal"]),
                        harmful=bool(row["harmful"]),
                        category=category,
                        layout=row.get("layout") or row.get("format"),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"bad example: {exc}", source=str(path), line=line) from None
    return examples


def load_all(shared: Path | None = None, own: Path = OWN_DATA) -> list[AnswerExample]:
    own_files = sorted(p for p in own.glob("*.jsonl") if not p.name.startswith(HELD_OUT_PREFIX))
    if not own_files:
        raise InputError("no *.jsonl answer data found", source=str(own))
    examples = load_xstest(shared)
    for path in own_files:
        examples.extend(load_jsonl(path))
    return examples


def split(examples: Iterable[AnswerExample], name: str) -> list[AnswerExample]:
    return [e for e in examples if e.split == name]
