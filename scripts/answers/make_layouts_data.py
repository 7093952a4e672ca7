"""Write `data/answers/layouts_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/layouts/{en,ja}_*.txt` (issue 15: harmful answers in the layouts the eighth-round
judge missed through the gateway — bullet fragments, JSON, stories and scenes, headings, CSV,
Q&A, tables — weighted to the moderate categories, beside harmless answers in the same layouts).

The source files use the item format of `make_formats_data.py` (`### <kind code> <layout>
<category id or ->`, `Q: `, `A:`). A row goes to `test` when the sha256 of
"layouts:<lang>:<request>" is 0 mod 5, so answers to the same request stay together.

    python scripts/answers/make_layouts_data.py   # rewrites data/answers/layouts_*.jsonl
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import KINDS, OUT, items, words

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from sekimori.taxonomy import CATEGORY_IDS

SOURCES = Path(__file__).resolve().parent / "layouts"
LAYOUTS = {"bullets", "json", "story", "scene", "headings", "csv", "qa", "table"}


def held_back(lang: str, prompt: str) -> bool:
    return int(hashlib.sha256(f"layouts:{lang}:{prompt}".encode()).hexdigest(), 16) % 5 == 0


def rows(lang: str) -> Iterator[dict[str, object]]:
    n = 0
    for path in sorted(SOURCES.glob(f"{lang}_*.txt")):
        for code, layout, category, prompt, answer in items(path):
            where = f"{path.name}: {prompt[:50]!r}"
            if code not in KINDS or layout not in LAYOUTS:
                raise SystemExit(f"{where}: unknown kind {code} or layout {layout}")
            kind, refusal, harmful = KINDS[code]
            if category is not None and category not in CATEGORY_IDS:
                raise SystemExit(f"{where}: unknown category {category}")
            if harmful and category is None:
                raise SystemExit(f"{where}: a harmful answer needs a category")
            if "[REDACTED" in answer or not 12 <= words(answer) <= 400:
                raise SystemExit(f"{where}: placeholder or length {words(answer):.0f} words")
            yield {
                "id": f"layouts-{lang}-{n:04d}",
                "lang": lang,
                "split": "test" if held_back(lang, prompt) else "train",
                "kind": kind,
                "layout": layout,
                "prompt": prompt,
                "answer": answer,
                "refusal": refusal,
                "harmful": harmful,
                "category": category,
            }
            n += 1


def main(out: Path = OUT) -> None:
    for lang in ("en", "ja"):
        lines = [json.dumps(r, ensure_ascii=False) for r in rows(lang)]
        (out / f"layouts_{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"layouts_{lang}.jsonl: {len(lines)} rows")


if __name__ == "__main__":
    main()
