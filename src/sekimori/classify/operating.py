"""Operating points per severity tier, chosen on the validation split (never held-out or eval sets).

The prompt classifier's harm head says *whether* a prompt is harmful far better than its
category heads say *which* harm (on validation the harm score alone ranks catastrophic items
well; the heads' top category is right two times in three). So a category's **evidence** is the
harm score times the square root of that category's share of the category heads' mass:

    evidence[c] = harm * sqrt(head[c] / sum(head))

(the root, `SHARE_POWER`, chosen on validation among powers 0.25 to 1: with the tiers' recall
rules below it holds the fewest benign validation prompts, 14% of ordinary ones against 20% for
the plain share)

and a tier's score is the largest evidence among its categories. Each tier gets two points on
that scale, chosen by `choose_points` on the validation split:

- **hold**: catastrophic recall-first (at least 0.99 of the tier's harmful validation items have
  a tier score at or above it: "in any catastrophic category", because what counts is that the
  request is stopped, and the heads confuse bio, chem and nuclear); severe likewise with 0.97;
  moderate precision-first (at most 1% of the benign validation rows reach it);
- **sure**: at most 0.5% (moderate 0.25%) of the benign validation rows reach it.

The jailbreak signal (`attack.jailbreak`, scored as is) gets a sure point too, by the same
benign rule as the moderate tier's (at most 0.25% of the benign validation rows reach it): the
default policy flags a wrapper from 0.5 and blocks a wrapper carrying a hazard signal only when
it is sure of the wrapper (`wrapped_hazard`); an unsure wrapper's hazard is held like any other.
On the committed model's validation split that point is 0.63: 92% of the validation jailbreak
prompts (202) reach it; with 0.5 instead, a system prompt or role-play set-up that looks like a
wrapper turned any hold-level hazard into a block (half the ordinary prompts the gateway refused
in `bench/gateway/EFFECT.md` before this rule).

`to_policy_scale` maps each category's evidence piecewise linearly so that its tier's hold point
is 0.5 (the policy's default threshold) and its sure point 0.75 (`SURE_LEVEL`): a policy reads
every tier on one scale. The points live in the prompt model's `model.json` under
`operating_points`, with the validation figures; `sekimori train operating-points` recomputes
them from the committed model's scores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sekimori.classify.corpus import Example, Split
from sekimori.errors import ModelError
from sekimori.taxonomy import BY_ID, SIGNAL_JAILBREAK, Tier

HOLD_LEVEL = 0.5  # a tier's hold point on the policy scale (the policy's default threshold)
SURE_LEVEL = 0.75  # a tier's sure point on the policy scale
JAILBREAK_AT = 0.5  # attack.jailbreak at or above this is a wrapper (the default policy's flag)
JAILBREAK_SURE_BENIGN = 0.0025  # most share of benign rows at or above the wrapper's sure point
FIELD = "operating_points"  # the key in model.json
SHARE_POWER = 0.5  # evidence = harm * share ** SHARE_POWER (module doc)


@dataclass(frozen=True, slots=True)
class TierRule:
    """How one tier's points are chosen: hold by recall or by benign rate; sure by benign rate."""

    tier: Tier
    hold_recall: float | None  # share of the tier's harmful items at or above the hold point
    hold_benign: float | None  # or: most share of benign rows at or above it (precision-first)
    sure_benign: float  # most share of benign rows at or above the sure point


RULES: tuple[TierRule, ...] = (
    TierRule(Tier.CATASTROPHIC, hold_recall=0.99, hold_benign=None, sure_benign=0.005),
    TierRule(Tier.SEVERE, hold_recall=0.97, hold_benign=None, sure_benign=0.005),
    TierRule(Tier.MODERATE, hold_recall=None, hold_benign=0.01, sure_benign=0.0025),
)


@dataclass(frozen=True, slots=True)
class TierPoint:
    hold: float
    sure: float

    def to_policy_scale(self, evidence: float) -> float:
        """0 -> 0, hold -> 0.5, sure -> 0.75, 1 -> 1; piecewise linear, monotonic."""
        if evidence >= self.sure:
            x0, y0, x1, y1 = self.sure, SURE_LEVEL, 1.0, 1.0
        elif evidence >= self.hold:
            x0, y0, x1, y1 = self.hold, HOLD_LEVEL, self.sure, SURE_LEVEL
        else:
            x0, y0, x1, y1 = 0.0, 0.0, self.hold, HOLD_LEVEL
        return min(1.0, y0 + (y1 - y0) * (evidence - x0) / (x1 - x0)) if x1 > x0 else y0


@dataclass(frozen=True, slots=True)
class OperatingPoints:
    """A tier's hold and sure points on the evidence scale, per tier; the jailbreak signal's
    (hold `JAILBREAK_AT`, sure chosen on validation), None for models chosen before it had one."""

    tiers: Mapping[Tier, TierPoint]
    jailbreak: TierPoint | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> OperatingPoints:
        try:
            tiers = {
                Tier(name): TierPoint(float(p["hold"]), float(p["sure"]))
                for name, p in raw["tiers"].items()
            }
            signal = (raw.get("signals") or {}).get(SIGNAL_JAILBREAK)
            jailbreak = None if signal is None else TierPoint(signal["hold"], signal["sure"])
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ModelError(f"model.json: bad {FIELD} ({exc})") from None
        missing = set(Tier) - set(tiers)
        if missing:
            raise ModelError(f"model.json: {FIELD} lacks tiers {sorted(missing)}")
        return cls(tiers, jailbreak)

    def policy_scale(
        self,
        categories: Mapping[str, float],
        harm: float,
        given: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Every hazard category's evidence (``given``, or computed from the heads) on the
        policy scale; the jailbreak signal mapped by its points (its hold is 0.5 already: below
        it, unchanged); other signals unchanged."""
        out = {c: s for c, s in categories.items() if c not in BY_ID}
        if self.jailbreak is not None and SIGNAL_JAILBREAK in out:
            out[SIGNAL_JAILBREAK] = round(self.jailbreak.to_policy_scale(out[SIGNAL_JAILBREAK]), 6)
        for c, e in (evidence(categories, harm) if given is None else given).items():
            out[c] = round(self.tiers[BY_ID[c].tier].to_policy_scale(e), 6)
        return out


def evidence(categories: Mapping[str, float], harm: float) -> dict[str, float]:
    """harm * (a category's share of the hazard heads' mass) ** SHARE_POWER (0 when all are 0)."""
    hazards = {c: max(0.0, float(s)) for c, s in categories.items() if c in BY_ID}
    mass = sum(hazards.values())
    if mass <= 0:
        return dict.fromkeys(hazards, 0.0)
    return {c: harm * (s / mass) ** SHARE_POWER for c, s in hazards.items()}


def tier_score(scores: Mapping[str, float], tier: Tier) -> float:
    return max((s for c, s in scores.items() if c in BY_ID and BY_ID[c].tier is tier), default=0.0)


@dataclass(frozen=True, slots=True)
class ScoredItem:
    """One validation row with the classifier's scores as deployed."""

    lang: str
    harmful: bool
    category: str | None  # the labelled hazard (harmful rows with a taxonomy category)
    ordinary: bool  # ordinary assistant traffic (Dolly, oasst1, deepset, the team's everyday)
    harm: float
    categories: dict[str, float]  # raw category head scores (capped by harm) + attack.jailbreak
    given_evidence: dict[str, float] | None = None  # `Verdict.evidence` (joined pieces)
    # the evidence of the pieces that may be sure (`Verdict.certain`); None: all of them may
    certain_evidence: dict[str, float] | None = None

    @property
    def evidence(self) -> dict[str, float]:
        if self.given_evidence is not None:
            return self.given_evidence
        return evidence(self.categories, self.harm)

    @property
    def sure_evidence(self) -> dict[str, float]:
        """The evidence a sure point is read on: a score that only a passage's sentence reaches
        holds, never blocks, so it must not move the sure points."""
        return self.evidence if self.certain_evidence is None else self.certain_evidence


def score_items(classifier: Any, examples: Sequence[Example], batch: int = 64) -> list[ScoredItem]:
    """The validation rows with a harm label, scored by ``classifier`` (a `PromptClassifier`)."""
    from sekimori.classify.train import is_ordinary

    rows = [e for e in examples if e.split is Split.VALIDATION and e.harmful is not None]
    out: list[ScoredItem] = []
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        for ex, v in zip(chunk, classifier.classify_batch([e.text for e in chunk]), strict=True):
            label = ex.categories[0] if ex.harmful and ex.categories else None
            certain = v.certain
            certain_evidence = None
            if certain is not None:
                certain_evidence = (
                    evidence(certain.categories, certain.score)
                    if certain.evidence is None
                    else dict(certain.evidence)
                )
            out.append(
                ScoredItem(
                    ex.lang,
                    bool(ex.harmful),
                    label,
                    is_ordinary(ex) and not ex.harmful,
                    float(v.score),
                    {c: float(s) for c, s in v.categories.items()},
                    None if v.evidence is None else dict(v.evidence),
                    certain_evidence,
                )
            )
    return out


def _floor(x: float) -> float:
    return math.floor(x * 10_000) / 10_000


def above_benign(benign: Sequence[float], share: float) -> float:
    """The lowest point (0.0001 grid) that at most ``share`` of ``benign`` reach."""
    ranked = sorted(benign, reverse=True)
    allowed = math.floor(share * len(ranked) + 1e-9)
    if allowed >= len(ranked):
        return 0.0
    return min(0.9999, math.floor(ranked[allowed] * 10_000 + 1) / 10_000)


def _rate(values: Iterable[bool]) -> float | None:
    v = list(values)
    return round(float(np.mean(v)), 4) if v else None


def _by_lang(items: Sequence[ScoredItem], hit: Any) -> dict[str, float | int | None]:
    return {
        "all": _rate(hit(x) for x in items),
        "en": _rate(hit(x) for x in items if x.lang == "en"),
        "ja": _rate(hit(x) for x in items if x.lang == "ja"),
        "n": len(items),
    }


@dataclass(frozen=True, slots=True)
class OperatingReport:
    points: OperatingPoints
    figures: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "split": Split.VALIDATION.value,
            "scale": {"hold": HOLD_LEVEL, "sure": SURE_LEVEL, "share_power": SHARE_POWER},
            "rules": [
                {k: (v.value if isinstance(v, Tier) else v) for k, v in asdict(r).items()}
                for r in RULES
            ],
            "tiers": {
                t.value: {"hold": p.hold, "sure": p.sure} for t, p in self.points.tiers.items()
            },
            "signals": {}
            if self.points.jailbreak is None
            else {
                SIGNAL_JAILBREAK: {
                    "hold": self.points.jailbreak.hold,
                    "sure": self.points.jailbreak.sure,
                    "sure_benign": JAILBREAK_SURE_BENIGN,
                }
            },
            "validation": self.figures,
        }


def choose_points(items: Sequence[ScoredItem]) -> OperatingReport:
    """Each tier's points by `RULES`, with the validation figures that justify them."""
    ev = [x.evidence for x in items]
    benign_idx = [i for i, x in enumerate(items) if not x.harmful]
    sure_ev = [items[i].sure_evidence for i in benign_idx]
    tiers: dict[Tier, TierPoint] = {}
    for rule in RULES:
        own = [tier_score(ev[i], rule.tier) for i, x in enumerate(items) if _in_tier(x, rule.tier)]
        benign = [tier_score(ev[i], rule.tier) for i in benign_idx]
        if rule.hold_recall is not None:
            if not own:
                raise ModelError(f"no {rule.tier.value} harmful items in the validation split")
            ranked = sorted(own)
            misses = math.floor((1 - rule.hold_recall) * len(ranked) + 1e-9)
            hold = _floor(ranked[misses])
        else:
            hold = above_benign(benign, rule.hold_benign or 0.0)
        sure_benign = [tier_score(e, rule.tier) for e in sure_ev]
        sure = max(hold, above_benign(sure_benign, rule.sure_benign))
        tiers[rule.tier] = TierPoint(hold, sure)
    wrappers = [items[i].categories.get(SIGNAL_JAILBREAK, 0.0) for i in benign_idx]
    jailbreak_sure = max(JAILBREAK_AT, above_benign(wrappers, JAILBREAK_SURE_BENIGN))
    points = OperatingPoints(tiers, TierPoint(JAILBREAK_AT, jailbreak_sure))
    return OperatingReport(points, figures_at(items, points))


def figures_at(items: Sequence[ScoredItem], points: OperatingPoints) -> dict[str, Any]:
    """The validation figures of ``items`` at given points (a model's committed ones)."""
    ev = [x.evidence for x in items]
    policy = [points.policy_scale(x.categories, x.harm, x.given_evidence) for x in items]
    sure = [points.policy_scale(x.categories, x.harm, x.sure_evidence) for x in items]
    return _figures(items, ev, policy, sure, points)


def _in_tier(item: ScoredItem, tier: Tier) -> bool:
    return item.category is not None and BY_ID[item.category].tier is tier


def _figures(
    items: Sequence[ScoredItem],
    ev: Sequence[Mapping[str, float]],
    policy: Sequence[Mapping[str, float]],
    sure_policy: Sequence[Mapping[str, float]],
    points: OperatingPoints,
) -> dict[str, Any]:
    """``policy``: every piece's scores on the policy scale; ``sure_policy``: those of the pieces
    that may be sure (what blocks at the sure level)."""
    index = {id(x): i for i, x in enumerate(items)}
    benign = [x for x in items if not x.harmful]
    ordinary = [x for x in benign if x.ordinary]

    def level(x: ScoredItem, tier: Tier) -> float:
        return tier_score(policy[index[id(x)]], tier)

    def sure_level(x: ScoredItem, tier: Tier) -> float:
        return tier_score(sure_policy[index[id(x)]], tier)

    def stopped(x: ScoredItem) -> bool:
        """Held or blocked by the default policy: catastrophic/severe at hold, moderate at sure."""
        return (
            level(x, Tier.CATASTROPHIC) >= HOLD_LEVEL
            or level(x, Tier.SEVERE) >= HOLD_LEVEL
            or level(x, Tier.MODERATE) >= SURE_LEVEL
        )

    def top(scores: Mapping[str, float]) -> str | None:
        hazards = {c: s for c, s in scores.items() if c in BY_ID}
        return max(hazards, key=hazards.__getitem__) if any(hazards.values()) else None

    tiers: dict[str, Any] = {}
    for tier, point in points.tiers.items():
        own = [x for x in items if _in_tier(x, tier)]
        tiers[tier.value] = {
            "hold": point.hold,
            "sure": point.sure,
            "harmful_at_hold": _by_lang(own, lambda x, t=tier: level(x, t) >= HOLD_LEVEL),
            "harmful_at_sure": _by_lang(own, lambda x, t=tier: sure_level(x, t) >= SURE_LEVEL),
            "harmful_stopped": _by_lang(own, stopped),
            "benign_at_hold": _by_lang(benign, lambda x, t=tier: level(x, t) >= HOLD_LEVEL),
            "benign_at_sure": _by_lang(benign, lambda x, t=tier: sure_level(x, t) >= SURE_LEVEL),
            "ordinary_at_hold": _by_lang(ordinary, lambda x, t=tier: level(x, t) >= HOLD_LEVEL),
            # Attribution: the top category named (raw heads, and on the policy scale).
            "top_category_raw": _by_lang(own, lambda x: top(x.categories) == x.category),
            "top_category_policy": _by_lang(own, lambda x: top(policy[index[id(x)]]) == x.category),
        }

    def held(x: ScoredItem) -> bool:  # a catastrophic/severe hold that no sure score blocks
        sure = any(sure_level(x, t) >= SURE_LEVEL for t in Tier)
        return stopped(x) and not sure

    def wrapped(x: ScoredItem) -> bool:  # the default policy's wrapped_hazard rule
        scores = policy[index[id(x)]]
        hazard = max((s for c, s in scores.items() if c in BY_ID), default=0.0)
        return scores.get(SIGNAL_JAILBREAK, 0.0) >= SURE_LEVEL and hazard >= HOLD_LEVEL

    harmful = [x for x in items if x.harmful]
    return {
        "items": len(items),
        "tiers": tiers,
        "benign_held": _by_lang(benign, held),
        "benign_stopped": _by_lang(benign, stopped),
        "ordinary_held": _by_lang(ordinary, held),
        "wrapper_with_signal": {
            "benign_blocked": _by_lang(benign, wrapped),
            "harmful_blocked": _by_lang(harmful, wrapped),
        },
        "scores_hash": _scores_hash(ev),
    }


def _scores_hash(ev: Sequence[Mapping[str, float]]) -> str:
    import hashlib

    blob = json.dumps([sorted((c, round(s, 5)) for c, s in e.items()) for e in ev])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def write_points(model_dir: Path, report: OperatingReport) -> Path:
    """Stores ``report`` under `operating_points` in model.json; every other key is kept."""
    from sekimori.classify.prompt import write_meta_field

    return write_meta_field(model_dir, FIELD, report.to_json())
