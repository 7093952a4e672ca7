"""Category attribution on the validation split: does the refusal name the right hazard?

Scores the validation split's labelled harmful prompts with the committed prompt classifier (as
the gateway does: operating points per tier, the default policy, the scorer's sure level) and,
per tier and language, reports:

- outcome shares (blocked, held, flagged, allowed) under the default policy;
- `top category`: the hazard with the highest policy-scale score is the labelled one;
- `named first`: for blocked prompts, the first category the refusal names is the labelled one
  (`screen._blocking`: the top category blocking on its own, then a near-tie);
- `tier named`: the first named category is in the labelled tier.

And the other side, for the benign validation prompts: how many the default policy blocks at the
input or holds for the answer, and which category it names first when it blocks (which rule
over-refuses: a tier's sure point, or the wrapped-hazard rule).

Validation split only (never held-out or evaluation-only sets). Writes bench/policy/ATTRIBUTION.md.

    .venv/bin/python bench/policy/attribution.py
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sekimori.classify.operating import OperatingPoints, ScoredItem, score_items
from sekimori.classify.prompt import PromptClassifier
from sekimori.classify.train import corpus_settings_of, training_pool
from sekimori.gateway.screening.screen import _blocking
from sekimori.policy import default_policy, rule_on
from sekimori.taxonomy import BY_ID, Tier
from sekimori.types import Action

OUT = Path(__file__).resolve().parent / "ATTRIBUTION.md"


def _share(rows: Sequence[bool]) -> str:
    return f"{sum(rows) / len(rows):.3f} ({sum(rows)}/{len(rows)})" if rows else "–"


def main() -> int:
    classifier = PromptClassifier.load()
    meta = classifier.model.meta
    if meta.operating_points is None:
        print("the committed model has no operating points: run sekimori train operating-points")
        return 1
    points = OperatingPoints.from_json(meta.operating_points)
    tenant = default_policy().default_tenant
    sure_at = 0.75
    items = score_items(classifier, training_pool(corpus_settings_of(meta)).examples)
    rows: list[tuple[ScoredItem, str, str | None, str]] = []  # item, outcome, named, top
    benign: list[tuple[ScoredItem, str, str | None, str]] = []
    for x in items:
        if x.category is None and x.harmful:
            continue
        # as the gateway reads them: joined pieces' evidence, and what may be sure
        scores = points.policy_scale(x.categories, x.harm, x.given_evidence)
        sure = points.policy_scale(x.categories, x.harm, x.sure_evidence)
        ruling = rule_on(scores, tenant, model="m", sure_at=sure_at, sure_scores=sure)
        action = ruling.decision.action
        outcome = "held" if ruling.held else action.value
        named = None
        if action is Action.BLOCK:
            first = _blocking(ruling.decision, scores, tenant, "m", sure_at, sure=sure)
            named = first[0] if first else None
        hazards = {c: s for c, s in scores.items() if c in BY_ID}
        row = (x, outcome, named, max(hazards, key=hazards.__getitem__))
        (rows if x.harmful else benign).append(row)
    lines = [
        "# Category attribution on the validation split",
        "",
        "`.venv/bin/python bench/policy/attribution.py` (committed prompt model and its operating",
        "points, default policy; the labelled harmful validation prompts, then the benign ones).",
        "",
        "| tier | lang | n | blocked | held | flagged | allowed | top category | named first "
        "| tier named |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tier in Tier:
        for lang in ("all", "en", "ja"):
            sel = [
                r
                for r in rows
                if BY_ID[r[0].category or ""].tier is tier and lang in ("all", r[0].lang)
            ]
            blocked = [r for r in sel if r[1] == "block"]

            def outcome(name: str, sel: list[tuple[ScoredItem, str, str | None, str]] = sel) -> str:
                return _share([r[1] == name for r in sel])

            def named(r: tuple[ScoredItem, str, str | None, str]) -> bool:
                return r[2] == r[0].category

            lines.append(
                f"| {tier.value} | {lang} | {len(sel)} | {outcome('block')} | {outcome('held')} "
                f"| {outcome('flag')} | {outcome('allow')} "
                f"| {_share([r[3] == r[0].category for r in sel])} "
                f"| {_share([named(r) for r in blocked])} "
                f"| {_share([r[2] is not None and BY_ID[r[2]].tier is tier for r in blocked])} |"
            )
    lines.extend(_benign_lines(benign))
    text = "\n".join(lines) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _benign_lines(rows: Sequence[tuple[ScoredItem, str, str | None, str]]) -> list[str]:
    """Benign validation prompts stopped at the input, and the category a block names first."""
    lines = [
        "",
        "## Benign validation prompts / 検証データの無害なプロンプト",
        "",
        "Blocked = refused at the input (a sure score, or a sure wrapper with a hazard signal); "
        "held = answered only after the answer screen judged the answer. *Ordinary*: Dolly, "
        "oasst1, deepset and the team's everyday prompts.",
        "",
        "| prompts | lang | n | blocked | held | flagged | allowed |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in ("all benign", "ordinary"):
        for lang in ("all", "en", "ja"):
            sel = [
                r
                for r in rows
                if lang in ("all", r[0].lang) and (kind == "all benign" or r[0].ordinary)
            ]
            lines.append(
                f"| {kind} | {lang} | {len(sel)} "
                + " ".join(f"| {_share([r[1] == o for r in sel])}" for o in _OUTCOMES)
                + " |"
            )
    named = Counter(r[2] or "(none)" for r in rows if r[1] == "block")
    held = Counter(r[3] for r in rows if r[1] == "held")
    lines += [
        "",
        "Blocked benign prompts by the category the refusal names first: "
        + ", ".join(f"`{c}` {n}" for c, n in named.most_common())
        + ".",
        "",
        "Held benign prompts by their top category: "
        + ", ".join(f"`{c}` {n}" for c, n in held.most_common())
        + ".",
    ]
    return lines


_OUTCOMES = ("block", "held", "flag", "allow")


if __name__ == "__main__":
    sys.exit(main())
