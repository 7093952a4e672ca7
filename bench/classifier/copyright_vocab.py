"""Refit the copyright detector with data/prompts/ip_copyright_vocab.jsonl in the pool and judge it
by the rule in bench/classifier/COPYRIGHT_VOCAB.md (written before this ran): the committed
detector C and the refit R on the same validation split (the pool with the file), C at its own
points and at the points the moderate rule chooses for it there. Writes the refit to --out (not
into the model folder) and the figures as JSON.

    PYTHONPATH=src python bench/classifier/copyright_vocab.py --out /tmp/refit --json OUT.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sekimori.classify import corpus
from sekimori.classify.corpus import Example, Split
from sekimori.classify.operating import TierPoint
from sekimori.classify.prompt import DEFAULT_MODEL_DIR, PromptModel
from sekimori.classify.reproduction import PhrasingDetector
from sekimori.classify.reproduction_train import (
    choose_point,
    figures_at,
    is_reproduction,
    train_reproduction,
)
from sekimori.classify.train import corpus_settings_of, is_ordinary, training_pool

NEW = corpus.team_data_dir() / "candidates" / "ip_copyright_vocab.jsonl"
NEW_GROUP = "team:team.crv."


def _pool_with(extra: Path | None) -> list[Example]:
    """The committed model's training pool over a copy of data/prompts/ (top level and the
    validation folder as they are), with ``extra`` added at the top level."""
    settings = corpus_settings_of(PromptModel.load(DEFAULT_MODEL_DIR).meta)
    folder = corpus.team_data_dir()
    with tempfile.TemporaryDirectory() as tmp:
        # The rest of data/ linked as it is (other readers look beside the prompts folder).
        for entry in folder.parent.iterdir():
            if entry != folder:
                (Path(tmp) / entry.name).symlink_to(entry)
        copy = Path(tmp) / folder.name
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("candidates"))
        if extra is not None:
            shutil.copy(extra, copy / extra.name)
        original = corpus.team_data_dir
        corpus.team_data_dir = lambda: copy  # type: ignore[assignment]
        try:
            return training_pool(settings).examples
        finally:
            corpus.team_data_dir = original  # type: ignore[assignment]


def pools() -> tuple[list[Example], list[Example]]:
    """The committed pool (without the new file) and the pool with it."""
    return _pool_with(None), _pool_with(NEW)


def counts(
    validation: Sequence[Example], detector: PhrasingDetector, point: TierPoint
) -> dict[str, Any]:
    readings = [detector.read(e.text) for e in validation]
    rows = list(zip(validation, readings, strict=True))

    def at(sel: list[Any], sure: bool = False) -> int:
        if sure:
            return sum(r.sure_probability >= point.sure for _, r in sel)
        return sum(r.probability >= point.hold for _, r in sel)

    req = [(e, r) for e, r in rows if is_reproduction(e)]
    new = [(e, r) for e, r in req if e.group.startswith(NEW_GROUP)]
    old = [(e, r) for e, r in req if not e.group.startswith(NEW_GROUP)]
    benign = [(e, r) for e, r in rows if not e.harmful]
    ordinary = [(e, r) for e, r in benign if is_ordinary(e)]
    twins = [(e, r) for e, r in benign if e.group.startswith(NEW_GROUP)]
    other = [(e, r) for e, r in rows if e.harmful and not is_reproduction(e)]
    return {
        "hold": round(point.hold, 4),
        "sure": round(point.sure, 4),
        "requests": [len(req), at(req)],
        "requests_en": [
            sum(e.lang == "en" for e, _ in req),
            at([x for x in req if x[0].lang == "en"]),
        ],
        "requests_ja": [
            sum(e.lang == "ja" for e, _ in req),
            at([x for x in req if x[0].lang == "ja"]),
        ],
        "earlier_requests": [len(old), at(old)],
        "new_requests": [len(new), at(new)],
        "requests_at_sure": at(req, sure=True),
        "benign": [len(benign), at(benign), at(benign, sure=True)],
        "benign_rate": [
            round(at(benign) / len(benign), 4),
            round(at(benign, True) / len(benign), 4),
        ],
        "new_twins": [len(twins), at(twins)],
        "ordinary": [len(ordinary), at(ordinary), round(at(ordinary) / len(ordinary), 4)],
        "other_harmful": [len(other), at(other)],
        "figures": figures_at(validation, readings, point),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    without, with_file = pools()
    rest = [(e.text, e.split) for e in with_file if not e.group.startswith(NEW_GROUP)]
    unchanged = rest == [(e.text, e.split) for e in without]
    added = [e for e in with_file if e.group.startswith(NEW_GROUP)]
    validation = [e for e in with_file if e.harmful is not None and e.split is Split.VALIDATION]
    committed = PhrasingDetector.load(DEFAULT_MODEL_DIR)
    assert committed is not None
    rechosen = choose_point(validation, [committed.read(e.text) for e in validation])
    refit = train_reproduction(with_file)
    refit.save(args.out)
    result = {
        "other_rows_unchanged": unchanged,
        "new_rows_by_split": {s.value: sum(e.split is s for e in added) for s in Split},
        "new_requests_by_split": {
            s.value: sum(e.split is s and bool(e.harmful) for e in added) for s in Split
        },
        "committed_own_points": counts(validation, committed, committed.point),
        "committed_rechosen": counts(validation, committed, rechosen),
        "refit": counts(validation, refit, refit.point),
    }
    args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for key in ("committed_own_points", "committed_rechosen", "refit"):
        c = {k: v for k, v in result[key].items() if k != "figures"}
        print(key, json.dumps(c, ensure_ascii=False))
    print(
        "other rows unchanged:",
        unchanged,
        result["new_rows_by_split"],
        result["new_requests_by_split"],
    )


if __name__ == "__main__":
    main()
