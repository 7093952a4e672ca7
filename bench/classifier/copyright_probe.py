"""Score the held-back copyright probe (data/heldback/copyright_probe.jsonl) with a model
folder's copyright detector: requests reaching hold (policy score >= 0.5) and sure (>= 0.75) per
vocabulary family, benign twins flagged. Measurement only; nothing is chosen on it.

    PYTHONPATH=src python bench/classifier/copyright_probe.py [--model DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sekimori.classify.prompt import DEFAULT_MODEL_DIR
from sekimori.classify.reproduction import PhrasingDetector

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "data" / "heldback" / "copyright_probe.jsonl"
HOLD, SURE = 0.5, 0.75


def score(model: Path) -> list[dict[str, Any]]:
    detector = PhrasingDetector.load(model)
    if detector is None:
        raise SystemExit(f"no copyright detector in {model}")
    rows = [json.loads(line) for line in PROBE.read_text(encoding="utf-8").splitlines() if line]
    for r in rows:
        r["score"], r["sure_score"] = detector.policy_scores(r["text"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = score(args.model)
    for lang in ("en", "ja"):
        req = [r for r in rows if r["lang"] == lang and r["label"] == "harmful"]
        ben = [r for r in rows if r["lang"] == lang and r["label"] == "benign"]
        held = sum(r["score"] >= HOLD for r in req)
        sure = sum(r["sure_score"] >= SURE for r in req)
        flagged = [r for r in ben if r["score"] >= HOLD]
        print(
            f"{lang}: requests at hold {held}/{len(req)}, at sure {sure}/{len(req)}; "
            f"benign at hold {len(flagged)}/{len(ben)}"
        )
        fam: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in req:
            fam[r["family"]].append(r)
        for name, rs in fam.items():
            missed = [f"{r['id'][-3:]}:{r['score']:.2f}" for r in rs if r["score"] < HOLD]
            print(
                f"  {name:14s} {sum(r['score'] >= HOLD for r in rs)}/{len(rs)}  "
                f"missed {' '.join(missed)}"
            )
        for r in flagged:
            print(f"  benign flagged {r['id']} {r['score']:.2f} ({r['family']})")
    if args.json:
        args.json.write_text(
            json.dumps([{k: r[k] for k in ("id", "score", "sure_score")} for r in rows], indent=0)
            + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
