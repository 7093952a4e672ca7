"""Candidate C of bench/answers/VIEWS_RULE.md: prose views only after a prompt the gateway reads
carefully (its highest policy-scale score >= CAREFUL_AT). Reads `views_figures.json` (written by
`views.py`) and scores with the gateway's `model` scorer only the prompts of answers whose verdict
the views change; prints the rule's figures and writes `views_careful.json` (ids and scores only).

    PYTHONPATH=src .venv/bin/python bench/answers/views_careful.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from views import benign_items, rule_subsets, validation_items  # noqa: E402

from sekimori.gateway.screening.scorers import ModelScorer  # noqa: E402
from sekimori.gateway.screening.screen import CAREFUL_AT  # noqa: E402


def main() -> int:
    figures = json.loads((HERE / "views_figures.json").read_text(encoding="utf-8"))
    threshold = figures["threshold"]
    rows = figures["items"]
    changed = [r for r in rows if r["base"] < threshold <= r["a"]]
    prompts = {(i.group, i.source, i.id): i.prompt for i in [*validation_items(), *benign_items()]}
    texts = [prompts[(r["group"], r["source"], r["id"])] for r in changed]
    verdicts = ModelScorer().score_prompts(texts)
    careful = {
        (r["group"], r["source"], r["id"]): max(v.categories.values(), default=0.0)
        for r, v in zip(changed, verdicts, strict=True)
    }

    def c_score(r: dict[str, object]) -> float:
        key = (r["group"], r["source"], r["id"])
        base, a = float(r["base"]), float(r["a"])  # type: ignore[arg-type]
        return a if careful.get(key, 0.0) >= CAREFUL_AT else base

    def count(sub: list[dict[str, object]], f: object) -> str:
        n = sum(f(r) >= threshold for r in sub)  # type: ignore[operator]
        return f"{n}/{len(sub)} ({100 * n / max(len(sub), 1):.2f}%)"

    subsets = rule_subsets(rows)
    print(
        f"answers whose verdict A changes: {len(changed)}; careful prompts among them: "
        f"{sum(s >= CAREFUL_AT for s in careful.values())}"
    )
    print("| subset | off | A | C |\n|---|---:|---:|---:|")
    for name, sub in subsets.items():
        print(
            f"| {name} | {count(sub, lambda r: r['base'])} | {count(sub, lambda r: r['a'])} "
            f"| {count(sub, c_score)} |"
        )
    out = [
        {
            "group": r["group"],
            "source": r["source"],
            "id": r["id"],
            "harmful": r["harmful"],
            "structured": r["structured"],
            "layout": r["layout"],
            "prompt_max": round(careful[(r["group"], r["source"], r["id"])], 4),
        }
        for r in changed
    ]
    (HERE / "views_careful.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
