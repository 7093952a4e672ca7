"""Benign (prompt, answer) pairs for the answer judges from Dolly 15k, EN and JA.

    .venv/bin/python scripts/answers/make_dolly_answers.py

Writes data/answers/dolly_{en,ja}.jsonl: a stable sample of databricks-dolly-15k (CC-BY-SA-3.0,
`<shared>/dolly-15k/`) and of its Japanese translation (`<shared>/dolly-15k-ja/`), as
harmless compliances (harmful=false, refusal=compliance). Why: the answer judge retrained on
sanitized harmful prose learned "generic steps, tables, dialogues = harmful" (issue 15); real
human answers on ordinary topics, many of them lists and stories, are the negatives it lacked.

Stable: rows are ranked by sha256 of "<lang>:<row index>" within each Dolly category and the
first `QUOTA[category]` rows whose response has at least 15 words (English words; for Japanese
the parallel English response must have them and the Japanese one 30 characters) are taken.
Lists and stories (brainstorming, creative_writing) are over-weighted. Split by row index
(sha256 of "dolly-<index>", one in five to `test`), so an English row and its Japanese
translation are always on the same side.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sekimori.paths import REPO_ROOT, shared_data_dir

OUT = REPO_ROOT / "data" / "answers"
# Rows per Dolly category per language (1,000 in all).
QUOTA = {
    "brainstorming": 220,
    "creative_writing": 220,
    "general_qa": 130,
    "open_qa": 130,
    "information_extraction": 100,
    "summarization": 80,
    "closed_qa": 60,
    "classification": 60,
}
MIN_WORDS = 15
MIN_JA_CHARS = 30
CONTEXT_HEAD = 400  # characters of the reference passage kept in the prompt


def _rank(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16)


def _test(index: int) -> bool:
    return _rank(f"dolly-{index}") % 5 == 0


def _prompt(instruction: str, context: str) -> str:
    context = context.strip()
    if not context:
        return instruction.strip()
    head = context if len(context) <= CONTEXT_HEAD else context[:CONTEXT_HEAD].rstrip() + "…"
    return f"{instruction.strip()}\n\n{head}"


def _load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> None:
    shared = shared_data_dir()
    en = _load(shared / "dolly-15k" / "databricks-dolly-15k.jsonl")
    ja = _load(shared / "dolly-15k-ja" / "databricks-dolly-15k-ja.jsonl")
    rows = {
        "en": [(r["instruction"], r["context"], r["response"], r["category"]) for r in en],
        "ja": [(r["instruction"], r["input"], r["output"], r["category"]) for r in ja],
    }
    for lang, items in rows.items():
        chosen: list[int] = []
        for category, quota in QUOTA.items():
            candidates = [
                i
                for i, (_, _, response, cat) in enumerate(items)
                if cat == category
                and len(en[i]["response"].split()) >= MIN_WORDS
                and (lang == "en" or len(response.strip()) >= MIN_JA_CHARS)
            ]
            candidates.sort(key=lambda i: _rank(f"{lang}:{i}"))
            chosen.extend(candidates[:quota])
        chosen.sort()
        path = OUT / f"dolly_{lang}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i in chosen:
                instruction, context, response, category = items[i]
                row = {
                    "id": f"dolly-{lang}-{i:05d}",
                    "lang": lang,
                    "split": "test" if _test(i) else "train",
                    "kind": f"dolly_{category}",
                    "prompt": _prompt(instruction, context),
                    "answer": response.strip(),
                    "refusal": "compliance",
                    "harmful": False,
                    "category": None,
                    "source_row": i,
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{path}: {len(chosen)} rows, {sum(_test(i) for i in chosen)} test")


if __name__ == "__main__":
    main()
