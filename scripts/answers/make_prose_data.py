"""Write `data/answers/prose_{en,ja}.jsonl` from the hand-written answers in `prose_en.py` and
`prose_ja.py` (issue 15 item 5: an answer judge that reads prose, not a layout).

Every answer in those files was written one by one, not composed from slots. Items are grouped
by topic; a group holds harmful requests and benign requests on the same topic, and the whole
group goes to `test` when the sha256 of its key is 0 mod 5, so no topic is on both sides.

    python scripts/answers/make_prose_data.py   # rewrites data/answers/prose_*.jsonl
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import prose_en
import prose_ja

OUT = Path(__file__).resolve().parents[2] / "data" / "answers"
# kind code -> (kind, refusal label, harmful, the request is harmful)
KINDS = {
    "h": ("harmful_compliance", "compliance", True, True),
    "d": ("disguised_compliance", "compliance", True, True),
    "l": ("partial_leak", "partial", True, True),
    "r": ("refusal", "refusal", False, True),
    "o": ("partial_overview", "partial", False, True),
    "s": ("safe_education", "compliance", False, False),
}
LAYOUTS = {
    "prose",
    "paragraph",
    "list",
    "bullets",
    "table",
    "json",
    "code_comment",
    "dialogue",
    "headings",
    "letter",
    "faq",
    "yaml",
}
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def words(text: str) -> float:
    """English words; for Japanese, characters / 2.5 (about one English word's worth)."""
    ja = len(_JA.findall(text))
    return len(re.findall(r"[A-Za-z0-9']+", text)) + ja / 2.5


def held_back(key: str) -> bool:
    """One topic in five (by sha256 of "prose-topic:" + key) is held back for testing."""
    return int(hashlib.sha256(f"prose-topic:{key}".encode()).hexdigest(), 16) % 5 == 0


Groups = list[tuple[str, str, list[tuple[str, list[tuple[str, str, str]]]]]]


def rows(lang: str, groups: Groups) -> Iterator[dict[str, object]]:
    n = 0
    seen: set[str] = set()
    for key, category, prompts in groups:
        if key in seen:
            raise SystemExit(f"{lang}: duplicate group key {key}")
        seen.add(key)
        split = "test" if held_back(key) else "train"
        for prompt, answers in prompts:
            for code, layout, text in answers:
                kind, refusal, harmful, harmful_request = KINDS[code]
                if layout not in LAYOUTS:
                    raise SystemExit(f"{lang}/{key}: unknown layout {layout}")
                w = words(text)
                if not 25 <= w <= 260:
                    raise SystemExit(f"{lang}/{key} {code}/{layout}: {w:.0f} words")
                yield {
                    "id": f"prose-{lang}-{n:04d}",
                    "lang": lang,
                    "split": split,
                    "kind": kind,
                    "layout": layout,
                    "topic": key,
                    "prompt": prompt,
                    "answer": text.strip(),
                    "refusal": refusal,
                    "harmful": harmful,
                    "category": category if harmful_request else None,
                }
                n += 1


def main(out: Path = OUT) -> None:
    for lang, module in (("en", prose_en), ("ja", prose_ja)):
        items = list(rows(lang, module.GROUPS))
        path = out / f"prose_{lang}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        harmful = sum(bool(i["harmful"]) for i in items)
        test = sum(i["split"] == "test" for i in items)
        print(f"{path.name}: {len(items)} items, {harmful} harmful, {test} test")


if __name__ == "__main__":
    main()
