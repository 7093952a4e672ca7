"""Write `data/answers/mail_tables_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/mail_tables/{en,ja}_*.txt` (issue 15, judge12 helper): harmful compliance
(sanitized) written as e-mails (new mail, replies, forwards, internal memos) and plain-text tables
(pipe, ASCII box, space-aligned columns, comma-separated lines in prose) — the two layouts the
eleventh round's data lacked and its heads caught worst — beside harmless answers to the very same
requests in the same layouts.

The source files use the item format of `make_formats_data.py`. Every row is a TRAINING answer
(`split` = `train`), so the judge's validation split is the same before and after.

    python scripts/answers/make_mail_tables_data.py   # rewrites data/answers/mail_tables_*.jsonl
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "mail_tables"
LAYOUTS = {
    *("email", "reply", "forward", "memo"),
    *("pipe_table", "box_table", "aligned_table", "csv_prose"),
}


def rows(lang: str) -> Iterator[dict[str, object]]:
    for row in rows_of(lang, SOURCES, "mail_tables", "layout", LAYOUTS):
        yield {**row, "split": "train"}


def main(out: Path = OUT) -> None:
    write_files(out, "mail_tables", rows)


if __name__ == "__main__":
    main()
