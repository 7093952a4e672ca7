"""Confirmation figure: the default policy's input decision on the team's hard benign prompts
(data/prompts/candidates/hard_benign.jsonl).

    PYTHONPATH=src python bench/classifier/hard_benign.py [--out FILE]

Every row is benign (team-written, never trained on, in no split). Each text is scored once as the
gateway scores a prompt: `ModelScorer().score_prompts` (the committed prompt classifier on the
policy scale, with the committed second opinion's capping), then ruled with the default policy's
default tenant, `sure_at` the scorer's sure level and the sure-eligible scores (`Verdict.certain`),
as `PolicyScreen` does. Outcome: blocked, held (an unsure block deferred to the answer), flagged or
allowed. Nothing is chosen from these figures. Rows numbered from 201 are the second batch
(written after the first batch's totals were known; data/prompts/README.md), counted apart.
Writes the per-row outcomes (``tier``: the strictest tier of a category still at the sure level
after the second opinion, i.e. of a block) and the counts by batch, group (A-F, by id,
data/prompts/README.md), language, category and kind to ``--out`` (default:
hard_benign_figures.json beside this file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sekimori.gateway.screening.scorers import ModelScorer
from sekimori.policy import default_policy, rule_on
from sekimori.taxonomy import BY_ID, SELF_HARM, SIGNAL_JAILBREAK
from sekimori.testing.machine import cpu_model, load_average

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "data" / "prompts" / "candidates" / "hard_benign.jsonl"
OUTCOMES = ("block", "held", "flag", "allow")
BATCH = 16
SECOND = 201  # the first id number of the second batch
# Groups by id number (data/prompts/README.md): the last number of each group, per language.
GROUPS = {
    "en": ((35, "A"), (69, "B"), (79, "C"), (97, "D"), (121, "E"), (999, "F")),
    "ja": ((36, "A"), (70, "B"), (80, "C"), (98, "D"), (122, "E"), (999, "F")),
}


def group(ident: str, lang: str) -> str:
    number = int(ident.rsplit(".", 1)[1])
    return next(name for last, name in GROUPS[lang] if number <= last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "hard_benign_figures.json")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    scorer = ModelScorer()
    tenant = default_policy().default_tenant
    started = time.perf_counter()
    out: list[dict[str, Any]] = []
    for i in range(0, len(rows), BATCH):
        chunk = rows[i : i + BATCH]
        verdicts = scorer.score_prompts([r["text"] for r in chunk])
        for r, v in zip(chunk, verdicts, strict=True):
            sure = (v.certain or v).categories
            ruling = rule_on(
                dict(v.categories), tenant, model="m", sure_at=scorer.sure_at, sure_scores=sure
            )
            outcome = "held" if ruling.held else ruling.decision.action.value
            at_sure = sorted(
                (c for c, s in sure.items() if c in BY_ID and s >= scorer.sure_at),
                key=lambda c: -sure[c],
            )
            out.append(
                {
                    "id": r["id"],
                    "lang": r["lang"],
                    "category": r["category"],
                    "kind": r["kind"],
                    "batch": 2 if int(r["id"].rsplit(".", 1)[1]) >= SECOND else 1,
                    "group": group(r["id"], r["lang"]),
                    "outcome": outcome,
                    "sure": at_sure,
                    "tier": BY_ID[at_sure[0]].tier.value if at_sure else None,
                    "self_harm_sure": SELF_HARM in at_sure,
                    "jailbreak": round(float(v.categories.get(SIGNAL_JAILBREAK, 0.0)), 4),
                }
            )
    seconds = time.perf_counter() - started
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for key in ("batch", "group", "lang", "category", "kind", "tier"):
        table: dict[str, Counter[str]] = {}
        for o in out:
            table.setdefault(f"{o[key]}", Counter())[o["outcome"]] += 1
            if key not in ("tier", "batch", "group"):
                table.setdefault(f"{o[key]}/b{o['batch']}", Counter())[o["outcome"]] += 1
            if key not in ("tier", "lang"):
                table.setdefault(f"{o[key]}/{o['lang']}", Counter())[o["outcome"]] += 1
        counts[key] = {k: {x: c[x] for x in OUTCOMES} for k, c in sorted(table.items())}
    total = Counter(o["outcome"] for o in out)
    figures = {
        "file": str(DATA.relative_to(HERE.parents[1])),
        "rows": len(out),
        "total": {x: total[x] for x in OUTCOMES},
        "counts": counts,
        "machine": (
            f"{cpu_model()}, {os.cpu_count()} cores, load average {load_average()}, "
            f"Python {platform.python_version()}, {seconds:.0f} s"
        ),
        "outcomes": out,
    }
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"total": figures["total"], "batch": counts["batch"]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
