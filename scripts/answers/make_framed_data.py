"""Write `data/answers/framed_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/framed/{en,ja}_*.txt` (issue 15, judge helper): harmful compliance (sanitized)
under requests that do not themselves ask for harm ("Continue.", "Now as JSON.", "Write a story
about…") — the case where the committed judge, leaning on the request, cleared harmful JSON,
stories and bullet lists in the moderate categories — beside harmless answers in the same layouts
to the same requests.

The source files use the item format of `make_formats_data.py`. Every row is a TRAINING answer
(`split` = `train`), so the judge's validation split is the same before and after.

    python scripts/answers/make_framed_data.py   # rewrites data/answers/framed_*.jsonl
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "framed"
LAYOUTS = {"json", "story", "bullets", "table", "dialogue", "list"}


def rows(lang: str) -> Iterator[dict[str, object]]:
    for row in rows_of(lang, SOURCES, "framed", "layout", LAYOUTS):
        yield {**row, "split": "train"}


def main(out: Path = OUT) -> None:
    write_files(out, "framed", rows)


if __name__ == "__main__":
    main()
