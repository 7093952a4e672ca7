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

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "layouts"
LAYOUTS = {"bullets", "json", "story", "scene", "headings", "csv", "qa", "table"}


def rows(lang: str) -> Iterator[dict[str, object]]:
    return rows_of(lang, SOURCES, "layouts", "layout", LAYOUTS)


def main(out: Path = OUT) -> None:
    write_files(out, "layouts", rows)


if __name__ == "__main__":
    main()
