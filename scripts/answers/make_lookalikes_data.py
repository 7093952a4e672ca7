"""Write `data/answers/lookalikes_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/lookalikes/{en,ja}_*.txt` (issue 15, round 14, judge14 helper): hard look-alike
pairs in memos, letters, e-mails, chats and JSON — a harmless answer on a hazardous topic (safety,
reporting, prevention) and a sanitized harmful answer, mostly to the very same request in the same
layout, so that neither the request, the layout nor the hazard word is the label.

The source files use the item format of `make_formats_data.py`. Every row is a TRAINING answer
(`split` = `train`), so the judge's validation split is the same before and after.

    python scripts/answers/make_lookalikes_data.py   # rewrites data/answers/lookalikes_*.jsonl
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "lookalikes"
LAYOUTS = {"memo", "letter", "email", "chat", "json"}


def rows(lang: str) -> Iterator[dict[str, object]]:
    for row in rows_of(lang, SOURCES, "lookalikes", "layout", LAYOUTS):
        yield {**row, "split": "train"}


def main(out: Path = OUT) -> None:
    write_files(out, "lookalikes", rows)


if __name__ == "__main__":
    main()
