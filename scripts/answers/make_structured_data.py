"""Write `data/answers/structured_{en,ja}.jsonl` from the hand-written answers in
`scripts/answers/structured/{en,ja}_*.txt` (issue 15, judgedata helper, 2026-12-07): harmful
compliance (sanitized) written as JSON (nested and flat, pretty and minified), YAML, key-value
lines, markdown tables, CSV, short stories and scenes, chat transcripts, bullet fragments and
single dense paragraphs, in the categories the committed judge reads worst in those layouts
(deception, crime.nonviolent, hate, self_harm, crime.violent, weapons.conventional), each beside a
harmless twin in the same layout and topic neighbourhood, with refusals and partial answers in
the same layouts. Written for the next judge retrain; nothing has been trained on them yet.

The source files use the item format of `make_formats_data.py`. Every row is a TRAINING answer
(`split` = `train`), so the judge's validation split is the same before and after.

    python scripts/answers/make_structured_data.py   # rewrites data/answers/structured_*.jsonl
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_formats_data import OUT, rows_of, write_files

SOURCES = Path(__file__).resolve().parent / "structured"
LAYOUTS = {
    *("json", "json_min", "yaml", "key_value", "md_table", "csv"),
    *("story", "scene", "chat", "bullets", "paragraph"),
}


def rows(lang: str) -> Iterator[dict[str, object]]:
    for row in rows_of(lang, SOURCES, "structured", "layout", LAYOUTS):
        yield {**row, "split": "train"}


def main(out: Path = OUT) -> None:
    write_files(out, "structured", rows)


if __name__ == "__main__":
    main()
