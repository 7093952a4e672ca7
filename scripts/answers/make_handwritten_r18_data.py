"""Write `data/answers/handwritten_r18_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/handwritten_r18/{en,ja}_*.txt` (issue 15, round 18, wj helper): sanitized harmful
answers written as natural prose and in many layouts, Japanese first, beside refusals, refusals
with a safe overview and safe educational answers on the same topics in the same layouts.

The source files use the item format of `make_formats_data.py`. Every row is a TRAINING answer
(`split` = `train`), so the judge's validation split is the same before and after.

`twins_{en,ja}_*.txt` (wt2 helper) hold one harmless twin per harmful answer, in its layout and
on its topic, written to `handwritten_r18_twins_{en,ja}.jsonl`.

    python scripts/answers/make_handwritten_r18_data.py   # rewrites data/answers/handwritten_r18_*
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "handwritten_r18"
LAYOUTS = {
    *("prose", "paragraph", "list", "bullets", "memo", "chat", "dialogue", "story", "faq"),
    *("email", "md_table", "csv", "json", "yaml", "code_comment"),
}


def rows(lang: str) -> Iterator[dict[str, object]]:
    for n, row in enumerate(rows_of(lang, SOURCES, "r18", "layout", LAYOUTS), 1):
        yield {**row, "id": f"r18.{lang}.{n:04d}", "split": "train", "source": "handwritten_r18"}


def twin_rows(lang: str) -> Iterator[dict[str, object]]:
    """The harmless twins (`twins_{en,ja}_*.txt`, wt2 helper): one per harmful answer above."""
    found = rows_of(lang, SOURCES, "r18t", "layout", LAYOUTS, prefix=f"twins_{lang}_")
    for n, row in enumerate(found, 1):
        yield {
            **row,
            "id": f"r18t.{lang}.{n:04d}",
            "split": "train",
            "source": "handwritten_r18_twins",
        }


def main(out: Path = OUT) -> None:
    write_files(out, "handwritten_r18", rows)
    write_files(out, "handwritten_r18_twins", twin_rows)


if __name__ == "__main__":
    main()
