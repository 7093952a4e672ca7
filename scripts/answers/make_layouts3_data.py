"""Write `data/answers/layouts3_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/layouts3/{en,ja}_*.txt` (issue 15, judge3: the layouts the committed judge catches
least — markdown tables, JSON, YAML, CSV, code comments and pseudo-config, checklists, single
dense paragraphs, dialogue — harmful (sanitized) beside harmless answers on the same topics).

The source files use the item format of `make_formats_data.py` (`### <kind code> <layout>
<category id or ->`, `Q: `, `A:`). Every row is a TRAINING answer (`split` = `train`): the
judge's validation split stays the same answers before and after they were added, so a judge
trained on them can be compared with the committed one on it.

    python scripts/answers/make_layouts3_data.py   # rewrites data/answers/layouts3_*.jsonl
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "layouts3"
LAYOUTS = {"table", "json", "yaml", "csv", "code_comment", "checklist", "paragraph", "dialogue"}


def rows(lang: str) -> Iterator[dict[str, object]]:
    for row in rows_of(lang, SOURCES, "layouts3", "layout", LAYOUTS):
        yield {**row, "split": "train"}


def main(out: Path = OUT) -> None:
    write_files(out, "layouts3", rows)


if __name__ == "__main__":
    main()
