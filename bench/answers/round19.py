"""Answer judge, round 19 (bench/answers/ROUND19_RULE.md): candidate C, round 18's candidate B
(`--serving-encoding` and round 18's hand-written answers) with wt2's harmless twins added
(`sekimori-handwritten-r18-twins`), against the committed judge, through the real components.

    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round18.py prefill --worker 0 \
        --workers 2
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round18.py merge
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round19.py validate --heads C
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round19.py fresh --heads C \
        --files EN.jsonl JA.jsonl
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round19.py cost --heads C

Round 18's code with round 19's pool and choice:
`validate` (the choice): round 16/17's validation pool, unchanged (the judge's `test` split and
the training rows of `round16.UNSEEN`; round 18's and round 19's new sources left out), judged
as round 18 judged it; the five bounds of round 18 (`round18.choose`), C chosen if it holds all.
`fresh` (the judgment, once): round 18's `fresh` (the real `PolicyScreen`, default settings and
policy, not streamed, with-prompt and answer-only, the committed files and then the candidate's
folder in their place) with round 18's V10 criteria, which round 19 keeps.
`cost`: round 18's `cost`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import round18  # noqa: E402
from round16 import UNSEEN  # noqa: E402

from sekimori.classify.answers.data import load_all  # noqa: E402
from sekimori.paths import REPO_ROOT  # noqa: E402

# Round 18's hand-written answers and round 19's twins: trained on by C, never in the pool.
NEW_SOURCES = ("sekimori-handwritten-r18", "sekimori-handwritten-r18-twins")


def pool_examples() -> list[Any]:
    """Round 16/17's validation pool (2,242 answers); the new sources are not part of it."""
    return [
        e
        for e in load_all()
        if (e.split == "test" or e.source in UNSEEN) and e.source not in NEW_SOURCES
    ]


def choose(counts: Counter[tuple[str, str, bool, str]], candidates: list[str]) -> list[str]:
    """ROUND19_RULE.md's choice: round 18's five bounds, unchanged; C if it holds them all."""
    return round18.choose(counts, candidates, prefer=("C",))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("validate", "fresh", "cost"))
    parser.add_argument("--heads", type=Path, required=True, help="the candidate's folder")
    parser.add_argument("--files", type=Path, nargs="*", help="V10's files (copies)")
    parser.add_argument("--n", type=int, default=200, help="answers (cost)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="first N answers (smoke test)")
    args = parser.parse_args()
    if args.what == "validate":
        out = args.out or HERE / "round19_validation.json"
        round18.validate([args.heads], out, args.limit, pool=pool_examples(), chooser=choose)
    elif args.what == "fresh":
        files = args.files or [REPO_ROOT / "data" / "answers" / f for f in round18.V10]
        out = args.out or HERE / "round19_v10.json"
        asyncio.run(round18.fresh(files, args.heads, out, "ROUND19"))
    else:
        round18.cost(args.heads, args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
