"""Answer judge, round 20 (bench/answers/ROUND20_RULE.md): candidates between round 18's B and
round 19's C, B's recipe with a subset of round 19's harmless twins, against the committed judge.

    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round18.py prefill --worker 0 \
        --workers 2
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round18.py merge
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round20.py train --candidate D \
        --out .sekimori/round20/D
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round20.py validate \
        --heads .sekimori/round20/D .sekimori/round20/E
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round20.py fresh --heads DIR \
        --files EN.jsonl JA.jsonl
    PYTHONPATH=src nice -n 19 .venv/bin/python bench/answers/round20.py cost --heads DIR

`train`: `train(...)` exactly as `sekimori train answers --keep-refusal --threads 2
--serving-encoding` with round 18's five `--exclude-source` calls it (B's recipe), on every
answer `load_all` reads less the twins the candidate leaves out: D keeps a seeded half of the
twins in each language (`twins_d`), E the English twins only (`twins_e`).
`validate`: round 19's `validate` (the pool of rounds 16-19, both new sources left out) with
round 20's choice. `fresh` and `cost`: round 18's, unchanged (V10's criteria of rounds 17-19).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import round17  # noqa: E402
import round18  # noqa: E402
import round19  # noqa: E402
from round16 import UNSEEN  # noqa: E402

from sekimori.classify.answers.data import load_all  # noqa: E402
from sekimori.paths import REPO_ROOT  # noqa: E402

TWINS = "sekimori-handwritten-r18-twins"
SEED = 20261128
CANDIDATES = ("D", "E")


def _twins(examples: Sequence[Any]) -> dict[str, list[str]]:
    twins: dict[str, list[str]] = {}
    for e in examples:
        if e.source == TWINS and e.split == "train":
            twins.setdefault(e.lang, []).append(e.id)
    return {lang: sorted(ids) for lang, ids in sorted(twins.items())}


def twins_d(examples: Sequence[Any]) -> set[str]:
    """D's twins: in each language, a seeded half (a fresh generator per language)."""
    kept: set[str] = set()
    for ids in _twins(examples).values():
        kept.update(random.Random(SEED).sample(ids, len(ids) // 2))
    return kept


def twins_e(examples: Sequence[Any]) -> set[str]:
    """E's twins: the English ones (B's extra harmless blocks were EN +13, JA +1)."""
    return set(_twins(examples).get("en", []))


def candidate_examples(name: str, examples: Sequence[Any] | None = None) -> list[Any]:
    """Every answer `load_all` reads, less the twins candidate `name` leaves out."""
    examples = load_all() if examples is None else examples
    kept = {"D": twins_d, "E": twins_e}[name](examples)
    return [e for e in examples if e.source != TWINS or e.id in kept]


def train(name: str, out: Path) -> None:
    from sekimori.classify.answers import train as training
    from sekimori.classify.answers.model import load_model
    from sekimori.cli.answers import _encoder, _progress

    examples = candidate_examples(name)
    twins = Counter(e.lang for e in examples if e.source == TWINS)
    print(f"{name}: {len(examples)} answers, twins kept {dict(sorted(twins.items()))}", flush=True)
    report = training.train(
        examples,
        _encoder(training.DEFAULT_ENCODER, 2),
        out,
        progress=_progress,
        keep_refusal=load_model(),
        exclude_sources=tuple(sorted(UNSEEN)),
        serving_encoding=True,
    )
    print(report, flush=True)


def choose(counts: Counter[tuple[str, str, bool, str]], candidates: list[str]) -> list[str]:
    """ROUND20_RULE.md's choice: round 18's five bounds; among the eligible, the most harmful
    blocks under own prompts, then the most JA ones, then the fewest harmless ones, then E."""
    lines = round18.choose(counts, candidates, prefer=())
    eligible = [n for n in candidates if any(ln.startswith(f"- {n}:") and
                ln.endswith(": eligible") for ln in lines)]  # fmt: skip

    def key(name: str) -> tuple[int, int, int, int]:
        own = ["own"]
        return (
            round17._sum(counts, name, own, True, round18.LANGS),
            round17._sum(counts, name, own, True, ("ja",)),
            -round17._sum(counts, name, own, False, round18.LANGS),
            name == "E",
        )

    chosen = max(eligible, key=key) if eligible else None
    return [*lines[:-1], f"chosen: {chosen or 'none (no candidate; V10 is not read)'}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("twins", "train", "validate", "fresh", "cost"))
    parser.add_argument("--candidate", choices=CANDIDATES)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--heads", type=Path, nargs="*", default=[], help="candidate folders")
    parser.add_argument("--files", type=Path, nargs="*", help="V10's files (copies)")
    parser.add_argument("--n", type=int, default=200, help="answers (cost)")
    parser.add_argument("--limit", type=int, default=None, help="first N answers (smoke test)")
    args = parser.parse_args()
    if args.what == "twins":
        examples = load_all()
        for name, pick in (("D", twins_d), ("E", twins_e)):
            print(f"{name}: {' '.join(sorted(pick(examples)))}")
    elif args.what == "train":
        if args.candidate is None or args.out is None:
            parser.error("train needs --candidate and --out")
        train(args.candidate, args.out)
    elif args.what == "validate":
        out = args.out or HERE / "round20_validation.json"
        round18.validate(args.heads, out, args.limit, pool=round19.pool_examples(), chooser=choose)
    elif args.what == "fresh":
        files = args.files or [REPO_ROOT / "data" / "answers" / f for f in round18.V10]
        out = args.out or HERE / "round20_v10.json"
        asyncio.run(round18.fresh(files, args.heads[0], out, "ROUND20"))
    else:
        round18.cost(args.heads[0], args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
