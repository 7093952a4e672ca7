"""Why candidate P2 lost moderate recall (issue 15): a validation-only diagnosis.

    # score one model's validation split (as `sekimori train operating-points --dry-run` does)
    PYTHONPATH=src python bench/classifier/retrain_diagnosis.py score --model DIR \\
        [--team-data DATA/prompts] --output SCORES.jsonl
    # compare two score files (committed, candidate) and print the figures as JSON
    PYTHONPATH=src python bench/classifier/retrain_diagnosis.py compare COMMITTED.jsonl \\
        CANDIDATE.jsonl --committed-model DIR --candidate-model DIR \\
        --team-data DATA/prompts [--output FIGURES.json]

`score` reads only the validation split of the training pool (`training_pool`, then
`operating.score_items`, the rows `train operating-points` chooses on); `--team-data` points the
pool's team files at another checkout's `data/prompts` (the candidate's pool had two more files).
Each row is stored with a hash of its text (no text), its labels and its scores.

`compare` matches the rows of both files by that hash: the intersection (rows in both validation
splits) and the rows only in the candidate's split. For each model at its committed points it
says which point stopped each harmful row (catastrophic hold, severe hold, moderate sure, the
wrapper rule), and for rows stopped by the committed model only, which of the committed model's
points stopped them and what the candidate scores them. Counterfactuals (measured, never adopted):
the candidate's scores at the committed model's points; the candidate's points chosen by the same
rule (`operating.choose_points`) on the intersection only; and variants of the moderate hold.
Nothing here reads held-out, held-back or evaluation-only data.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sekimori.classify.operating import (
    HOLD_LEVEL,
    SURE_LEVEL,
    OperatingPoints,
    ScoredItem,
    TierPoint,
    above_benign,
    choose_points,
    figures_at,
    tier_score,
)
from sekimori.taxonomy import BY_ID, SIGNAL_JAILBREAK, Tier


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def score(model: Path, team_data: Path | None, output: Path) -> None:
    import sekimori.classify.corpus as corpus
    from sekimori.classify.corpus import Split
    from sekimori.classify.operating import score_items
    from sekimori.classify.prompt import PromptClassifier
    from sekimori.classify.train import corpus_settings_of, training_pool

    if team_data is not None:
        corpus.team_data_dir = lambda: team_data  # type: ignore[assignment]
    classifier = PromptClassifier.load(model)
    pool = training_pool(corpus_settings_of(classifier.model.meta))
    rows = [e for e in pool.examples if e.split is Split.VALIDATION and e.harmful is not None]
    items = score_items(classifier, rows)
    with output.open("w", encoding="utf-8") as f:
        for ex, it in zip(rows, items, strict=True):
            f.write(
                json.dumps(
                    {
                        "key": _key(ex.text),
                        "source": ex.source,
                        "lang": it.lang,
                        "harmful": it.harmful,
                        "category": it.category,
                        "ordinary": it.ordinary,
                        "harm": it.harm,
                        "categories": it.categories,
                        "given_evidence": it.given_evidence,
                        "certain_evidence": it.certain_evidence,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    print(f"{len(items)} validation rows scored -> {output}", file=sys.stderr)


def load(path: Path) -> dict[str, tuple[str, ScoredItem]]:
    out: dict[str, tuple[str, ScoredItem]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out[r["key"]] = (
                r["source"],
                ScoredItem(
                    r["lang"],
                    r["harmful"],
                    r["category"],
                    r["ordinary"],
                    r["harm"],
                    r["categories"],
                    r["given_evidence"],
                    r["certain_evidence"],
                ),
            )
    return out


TIERS = (Tier.CATASTROPHIC, Tier.SEVERE, Tier.MODERATE)
Items = Mapping[str, tuple[str, ScoredItem]]


def team_files_of(directory: Path) -> dict[str, str]:
    """Row hash -> team file stem, for the team's files (and validation/) under ``directory``."""
    out: dict[str, str] = {}
    for path in sorted(directory.glob("*.jsonl")) + sorted(directory.glob("validation/*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    out.setdefault(_key(str(json.loads(line)["text"])), path.stem)
    return out


def points_of(model: Path) -> OperatingPoints:
    meta = json.loads((model / "model.json").read_text(encoding="utf-8"))
    return OperatingPoints.from_json(meta["operating_points"])


class Reading:
    """One model's rows read at given points: which point stops each row."""

    def __init__(self, items: Items, points: OperatingPoints) -> None:
        self.points = points
        self.reasons: dict[str, frozenset[str]] = {}
        self.blocked: dict[str, bool] = {}
        self.levels: dict[str, dict[str, float]] = {}
        for key, (_, x) in items.items():
            pol = points.policy_scale(x.categories, x.harm, x.given_evidence)
            sure = points.policy_scale(x.categories, x.harm, x.sure_evidence)
            r = set()
            if tier_score(pol, Tier.CATASTROPHIC) >= HOLD_LEVEL:
                r.add("catastrophic_hold")
            if tier_score(pol, Tier.SEVERE) >= HOLD_LEVEL:
                r.add("severe_hold")
            if tier_score(pol, Tier.MODERATE) >= SURE_LEVEL:
                r.add("moderate_sure")
            hazard = max((s for c, s in pol.items() if c in BY_ID), default=0.0)
            if pol.get(SIGNAL_JAILBREAK, 0.0) >= SURE_LEVEL and hazard >= HOLD_LEVEL:
                r.add("wrapper")
            self.reasons[key] = frozenset(r)
            self.blocked[key] = any(tier_score(sure, t) >= SURE_LEVEL for t in TIERS)
            self.levels[key] = {t.value: round(tier_score(pol, t), 4) for t in TIERS}

    def stopped(self, key: str) -> bool:
        """As `operating.figures_at` counts it (the wrapper rule apart)."""
        return bool(self.reasons[key] - {"wrapper"})


def _tier(x: ScoredItem) -> str:
    if not x.harmful:
        return "benign"
    return "unlabelled" if x.category is None else BY_ID[x.category].tier.value


def summary(items: Items, reading: Reading) -> dict[str, Any]:
    """Harmful stopped per tier, benign held / blocked / stopped, with counts."""
    out: dict[str, Any] = {}
    for tier in ("catastrophic", "severe", "moderate"):
        keys = [k for k, (_, x) in items.items() if _tier(x) == tier]
        n = sum(reading.stopped(k) for k in keys)
        out[f"{tier}_stopped"] = f"{n}/{len(keys)} ({n / max(1, len(keys)):.2%})"
    benign = [k for k, (_, x) in items.items() if not x.harmful]
    held = sum(reading.stopped(k) and not reading.blocked[k] for k in benign)
    blocked = sum(reading.blocked[k] for k in benign)
    stopped = sum(reading.stopped(k) for k in benign)
    nb = max(1, len(benign))
    out["benign_held"] = f"{held}/{len(benign)} ({held / nb:.2%})"
    out["benign_blocked"] = f"{blocked}/{len(benign)} ({blocked / nb:.2%})"
    out["benign_stopped"] = f"{stopped}/{len(benign)} ({stopped / nb:.2%})"
    ordinary = [k for k in benign if items[k][1].ordinary]
    oh = sum(reading.stopped(k) and not reading.blocked[k] for k in ordinary)
    out["ordinary_held"] = f"{oh}/{len(ordinary)} ({oh / max(1, len(ordinary)):.2%})"
    return out


def _combo(reasons: frozenset[str]) -> str:
    return "+".join(sorted(reasons)) or "none"


def reasons_by_tier(items: Items, reading: Reading) -> dict[str, Any]:
    """Per tier (and benign): how many stopped rows each combination of points stopped, and how
    many only a point of another tier stopped (the incidental net)."""
    own = {"catastrophic": "catastrophic_hold", "severe": "severe_hold"}
    own["moderate"] = "moderate_sure"
    out: dict[str, Any] = {}
    for tier in ("catastrophic", "severe", "moderate", "benign"):
        keys = [k for k, (_, x) in items.items() if _tier(x) == tier and reading.stopped(k)]
        combos = Counter(_combo(reading.reasons[k] - {"wrapper"}) for k in keys)
        entry: dict[str, Any] = {"stopped": len(keys), "by_points": dict(combos.most_common())}
        # blocked by the wrapper rule only (not counted as stopped by `figures_at`)
        entry["wrapper_rule_only"] = sum(
            reading.reasons[k] == {"wrapper"} for k, (_, x) in items.items() if _tier(x) == tier
        )
        if tier in own:
            entry["only_other_tiers_points"] = sum(
                own[tier] not in reading.reasons[k] for k in keys
            )
            entry["only_catastrophic_hold"] = sum(
                reading.reasons[k] - {"wrapper"} == {"catastrophic_hold"} for k in keys
            )
        out[tier] = entry
    return out


def lost(items: Items, a: Reading, b: Reading, b_items: Items, files: Mapping[str, str]) -> Any:
    """Rows stopped at ``a`` and not at ``b``: ``a``'s points that stopped them, and ``b``'s
    policy-scale levels (0.5 hold, 0.75 sure) for them."""
    out: dict[str, Any] = {}
    for tier in ("catastrophic", "severe", "moderate", "benign"):
        keys = [
            k
            for k, (_, x) in items.items()
            if _tier(x) == tier and a.stopped(k) and not b.stopped(k)
        ]
        gained = [
            k
            for k, (_, x) in items.items()
            if _tier(x) == tier and b.stopped(k) and not a.stopped(k)
        ]
        own_level = [b.levels[k][tier] for k in keys] if tier != "benign" else []
        cat_level = [b.levels[k]["catastrophic"] for k in keys]
        entry: dict[str, Any] = {
            "stopped_by_first_only": len(keys),
            "stopped_by_second_only": len(gained),
            "first_points": dict(Counter(_combo(a.reasons[k] - {"wrapper"}) for k in keys)),
            "second_catastrophic_level_quartiles": _quartiles(cat_level),
            "by_file": dict(Counter(files.get(k, items[k][0]) for k in keys).most_common(12)),
        }
        if own_level:
            entry["second_own_tier_level_quartiles"] = _quartiles(own_level)
            bar = 0.5 if tier == "moderate" else 0.4
            entry[f"second_own_tier_level_at_least_{bar}"] = sum(v >= bar for v in own_level)
        out[tier] = entry
    return out


def _quartiles(values: Sequence[float]) -> list[float] | None:
    if not values:
        return None
    v = sorted(values)
    return [round(v[int(q * (len(v) - 1))], 3) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]


def subset(items: Items, keep: Callable[[str], bool]) -> dict[str, tuple[str, ScoredItem]]:
    return {k: v for k, v in items.items() if keep(k)}


def _points_json(p: OperatingPoints) -> dict[str, Any]:
    out: dict[str, Any] = {t.value: [p.tiers[t].hold, p.tiers[t].sure] for t in TIERS}
    if p.jailbreak is not None:
        out["jailbreak_sure"] = p.jailbreak.sure
    return out


def benign_at_top(
    items: Items, tier: Tier, point: float, files: Mapping[str, str], sure: bool = False
) -> Any:
    """The benign rows at or above a tier's point (the rows that set a precision-first point;
    a sure point is read on the evidence that may be sure, as `choose_points` reads it)."""
    keys = [
        k
        for k, (_, x) in items.items()
        if not x.harmful and tier_score(x.sure_evidence if sure else x.evidence, tier) >= point
    ]
    return {"n": len(keys), "by_file": dict(Counter(files.get(k, items[k][0]) for k in keys))}


def separation(items: Items, tier: Tier) -> dict[str, Any]:
    """How well a tier's score tells the tier's harmful rows from benign ones, free of points:
    the AUC, and the share of the tier's harmful rows at or above the point that a given share
    of benign rows reach (on the evidence that may be sure, as the sure point is read)."""
    own = [tier_score(x.sure_evidence, tier) for _, x in items.values() if _tier(x) == tier.value]
    ben = sorted(tier_score(x.sure_evidence, tier) for _, x in items.values() if not x.harmful)
    wins = sum(
        bisect.bisect_left(ben, v)
        + 0.5 * (bisect.bisect_right(ben, v) - bisect.bisect_left(ben, v))
        for v in own
    )
    out: dict[str, Any] = {"auc": round(wins / (len(own) * len(ben)), 4)}
    for share in (0.0025, 0.005, 0.01, 0.02, 0.05):
        point = above_benign(ben, share)
        out[f"recall_at_benign_{share}"] = round(sum(v >= point for v in own) / len(own), 4)
    return out


def with_tier(p: OperatingPoints, tier: Tier, point: TierPoint) -> OperatingPoints:
    return replace(p, tiers={**p.tiers, tier: point})


def compare(
    committed: Items,
    candidate: Items,
    a_points: OperatingPoints,
    b_points: OperatingPoints,
    files: Mapping[str, str],
) -> dict[str, Any]:
    both = set(committed) & set(candidate)
    a = subset(committed, both.__contains__)
    b = subset(candidate, both.__contains__)
    b_new = subset(candidate, lambda k: k not in both)
    # the points each model's rows give by the rule, to check they are the committed ones
    a_chosen = choose_points([x for _, x in committed.values()]).points
    b_chosen = choose_points([x for _, x in candidate.values()]).points
    b_on_both = choose_points([x for _, x in b.values()]).points
    ra, rb = Reading(a, a_points), Reading(b, b_points)
    out: dict[str, Any] = {
        "rows": {
            "committed_split": len(committed),
            "candidate_split": len(candidate),
            "intersection": len(both),
            "only_committed": len(set(committed) - both),
            "only_candidate": len(b_new),
            "only_candidate_by_file": dict(
                Counter(
                    f"{files.get(k, s)}:{_tier(x)}" for k, (s, x) in b_new.items()
                ).most_common()
            ),
        },
        "points": {
            "committed_model_json": _points_json(a_points),
            "committed_rechosen_on_its_split": _points_json(a_chosen),
            "candidate_model_json": _points_json(b_points),
            "candidate_rechosen_on_its_split": _points_json(b_chosen),
            "candidate_rechosen_on_intersection": _points_json(b_on_both),
        },
        "intersection": {
            "committed": summary(a, ra),
            "candidate": summary(b, rb),
            "reasons_committed": reasons_by_tier(a, ra),
            "reasons_candidate": reasons_by_tier(b, rb),
            "lost_committed_to_candidate": lost(a, ra, rb, b, files),
        },
    }
    counter: dict[str, Any] = {}
    variants: dict[str, OperatingPoints] = {
        "candidate_at_committed_points": a_points,
        "candidate_points_rechosen_on_intersection": b_on_both,
        "candidate_points_with_committed_moderate": with_tier(
            b_points, Tier.MODERATE, a_points.tiers[Tier.MODERATE]
        ),
        "candidate_points_with_committed_catastrophic": with_tier(
            b_points, Tier.CATASTROPHIC, a_points.tiers[Tier.CATASTROPHIC]
        ),
        "candidate_points_with_committed_severe": with_tier(
            b_points, Tier.SEVERE, a_points.tiers[Tier.SEVERE]
        ),
    }
    # The moderate sure point the candidate would need for the committed moderate recall on the
    # intersection, and the catastrophic hold that holds as many benign rows as the committed one.
    mods = sorted(
        (tier_score(x.evidence, Tier.MODERATE) for _, x in b.values() if _tier(x) == "moderate"),
        reverse=True,
    )
    mod_a = sum(ra.stopped(k) for k, (_, x) in a.items() if _tier(x) == "moderate")
    # only the moderate sure point moves; other tiers' holds stop some rows too, so search
    lo_mod = b_points.tiers[Tier.MODERATE]
    for cand in sorted(set(round(v, 4) for v in mods), reverse=True):
        if cand <= lo_mod.hold * 0.5:
            break
        p = with_tier(b_points, Tier.MODERATE, TierPoint(min(lo_mod.hold, cand), cand))
        r = Reading(b, p)
        if sum(r.stopped(k) for k, (_, x) in b.items() if _tier(x) == "moderate") >= mod_a:
            variants["candidate_moderate_sure_for_committed_moderate_recall"] = p
            break
    cat_benign_a = sum(
        "catastrophic_hold" in ra.reasons[k] for k, (_, x) in a.items() if not x.harmful
    )
    cats = sorted(
        (tier_score(x.evidence, Tier.CATASTROPHIC) for _, x in b.values() if not x.harmful),
        reverse=True,
    )
    if cat_benign_a and cat_benign_a <= len(cats):
        hold = cats[cat_benign_a - 1]
        cp = b_points.tiers[Tier.CATASTROPHIC]
        variants["candidate_catastrophic_hold_matching_committed_benign_count"] = with_tier(
            b_points, Tier.CATASTROPHIC, TierPoint(hold, max(hold, cp.sure))
        )
    for name, p in variants.items():
        r = Reading(b, p)
        counter[name] = {
            "points": _points_json(p),
            "figures": summary(b, r),
            "reasons": reasons_by_tier(b, r),
        }
    out["counterfactuals_on_intersection"] = counter
    out["counterfactuals_on_intersection"]["committed_at_own_points"] = {
        "points": _points_json(a_points),
        "figures": summary(a, ra),
    }
    out["new_rows_candidate"] = {
        "figures": summary(b_new, Reading(b_new, b_points)),
        "figures_at_points_rechosen_on_intersection": summary(b_new, Reading(b_new, b_on_both)),
    }
    # Which benign rows set the precision-first points (moderate hold 1%, sure 0.25%; the
    # jailbreak sure point is read on attack.jailbreak, not here).
    tops: dict[str, Any] = {}
    for label, items, pts in (
        ("committed_own_split", committed, a_points),
        ("candidate_own_split", candidate, b_points),
        ("candidate_intersection_at_its_points", b, b_points),
    ):
        mp = pts.tiers[Tier.MODERATE]
        tops[label] = {
            "moderate_hold": benign_at_top(items, Tier.MODERATE, mp.hold, files),
            "moderate_sure": benign_at_top(items, Tier.MODERATE, mp.sure, files, sure=True),
        }
    out["benign_rows_setting_moderate_points"] = tops
    out["separation_on_intersection"] = {
        t.value: {"committed": separation(a, t), "candidate": separation(b, t)} for t in TIERS
    }
    # Scores figures_at gives (the validation figures stored in model.json), for a cross-check.
    fa = figures_at([x for _, x in committed.values()], a_points)
    fb = figures_at([x for _, x in candidate.values()], b_points)
    out["check_figures_at"] = {
        "committed": {
            "scores_hash": fa["scores_hash"],
            "benign_held": fa["benign_held"],
            "moderate_stopped": fa["tiers"]["moderate"]["harmful_stopped"],
        },
        "candidate": {
            "scores_hash": fb["scores_hash"],
            "benign_held": fb["benign_held"],
            "moderate_stopped": fb["tiers"]["moderate"]["harmful_stopped"],
        },
    }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score", help="score one model's validation split")
    s.add_argument("--model", type=Path, required=True)
    s.add_argument("--team-data", type=Path, default=None)
    s.add_argument("--output", type=Path, required=True)
    c = sub.add_parser("compare", help="compare two score files")
    c.add_argument("committed", type=Path)
    c.add_argument("candidate", type=Path)
    c.add_argument("--committed-model", type=Path, required=True)
    c.add_argument("--candidate-model", type=Path, required=True)
    c.add_argument("--team-data", type=Path, required=True, help="data/prompts with both files")
    c.add_argument("--output", type=Path, default=None)
    args = p.parse_args(argv)
    if args.cmd == "score":
        score(args.model, args.team_data, args.output)
        return 0
    figures = compare(
        load(args.committed),
        load(args.candidate),
        points_of(args.committed_model),
        points_of(args.candidate_model),
        team_files_of(args.team_data),
    )
    text = json.dumps(figures, indent=1, ensure_ascii=False)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
