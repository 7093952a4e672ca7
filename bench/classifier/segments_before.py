"""The 'before' column of SEGMENTS.md: the same variants scored by the code before segment
scoring and the new disguise transforms (commit e76a75b), written to segments_before.json.

    git archive e76a75b src | tar -x -C /tmp/before && ln -s "$PWD/data" /tmp/before/data
    M=src/sekimori/classify/models/prompt; cp $M/*.npz /tmp/before/$M/
    python -c "import json; m = json.load(open('$M/model.json')); m.pop('operating_points'); \\
        json.dump(m, open('/tmp/before/$M/model.json', 'w'))"
    SEKIMORI_SHARED_DATA=$PWD/../shared/data \\
        .venv/bin/python bench/classifier/segments_before.py --src /tmp/before/src

It imports the old package from ``--src`` with today's model artefacts (the old code cannot read
the ``operating_points`` key, which scoring does not use), so only the code differs; team data:
``--src``/../data, the current rows. The variants are built exactly as `segments.py` builds
them (its padding, wrappers and item order).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, required=True, help="the old package's src folder")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    import numpy as np

    import sekimori.classify.prompt as old_prompt
    from sekimori.classify.api import default_classifier
    from sekimori.classify.corpus import CorpusSettings, Split, load_corpus

    if hasattr(old_prompt, "SEGMENT_GATE"):
        raise SystemExit(f"{args.src} already has segment scoring: not the old code")
    padding = _load("padding_now", ROOT / "src" / "sekimori" / "testing" / "padding.py")
    wrappers = _load(
        "disguises_now", ROOT / "src" / "sekimori" / "testing" / "disguises.py"
    ).WRAPPERS
    where = ("after", "before", "around")

    clf = default_classifier()
    thr = clf.threshold
    corpus = load_corpus(CorpusSettings())
    val = [e for e in corpus if e.source == "team" and e.split is Split.VALIDATION]
    harmful = [e for e in val if e.harmful]
    benign = [e for e in val if e.harmful is False]

    def stopped(texts: list[str]) -> Any:
        return np.array([clf.scores_batch([t])[0].harm for t in texts]) >= thr

    bare = stopped([e.text for e in harmful])
    out: dict[str, Any] = {"threshold": thr, "bare": [float(bare.mean()), 1.0, len(harmful)]}
    for count in (5, 10, 20):
        s = stopped(
            [
                padding.padded(e.text, e.lang, count, where=where[i % 3], offset=i)
                for i, e in enumerate(harmful)
            ]
        )
        out[f"padded with {count} sentences"] = [
            float(s.mean()),
            float(s[bare].mean()),
            len(harmful),
        ]
        print(out, flush=True)
    for name, wrap in wrappers.items():
        pairs = [(i, wrap(e.text, e.lang)) for i, e in enumerate(harmful)]
        kept = [(i, t) for i, t in pairs if t is not None]
        idx = np.array([i for i, _ in kept], dtype=np.int64)
        s = stopped([t for _, t in kept])
        out[name] = [float(s.mean()), float(s[bare[idx]].mean()), len(kept)]
        print(name, out[name], flush=True)
    b = stopped([e.text for e in benign])
    out["team validation benign"] = float(b.mean())
    (HERE / "segments_before.json").write_text(json.dumps(out, indent=2) + "\n")
    print("wrote", HERE / "segments_before.json")


if __name__ == "__main__":
    main()
