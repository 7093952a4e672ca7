"""When to ask a guard model, and how its verdict joins the built-in one. Pure: no I/O.

The rules (docs/policy.md, "Guard models"):

1. Asking. A tenant's `guards:` rules are read in order. `always` asks on every request;
   `hold` when the input is held (an unsure block the tenant defers); `catastrophic_above`
   when a catastrophic-tier category's built-in score reaches `above`; `answers` on every
   complete answer (and never on the input). What the built-in decision already blocks is not
   sent to a guard (the screen skips it): no verdict could release it.
2. Unsafe. A guard that finds the text unsafe raises each taxonomy category its labels name
   (`sekimori.guards.mapping`: the built-in scores pick among a label's candidates) to 1.0, a
   sure score, and the policy decides again: the guard can block, never release. An unsafe
   verdict that names no category the taxonomy has (and the built-in classifier has no hazard
   to lend it) is flagged, not blocked.
3. Safe. A safe verdict changes nothing, unless the rule says `clears_hold: true` and the
   input is held on moderate or severe categories only: the hold is released (allowed, with
   the guard's verdict in the reasons). A hold on a catastrophic category is never released.
4. Failure (down, slow past `budget_ms`, unreadable): `closed` blocks, `open` goes on as if
   the guard had not been asked (flagged), `per_tier` is closed when a catastrophic-tier score
   reaches `above` and open otherwise.
Every verdict, failure included, is in the decision's reasons with the rule's guard name, the
adapter and the model version, so the audit records which guard said what.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sekimori.guards.base import GuardVerdict
from sekimori.guards.mapping import guard_scores
from sekimori.policy.engine import rule_on
from sekimori.policy.model import GuardRule, GuardWhen, OnFailure, TenantPolicy
from sekimori.taxonomy import Tier, in_tier
from sekimori.types import STRENGTH, Action, Decision

CATASTROPHIC = frozenset(in_tier(Tier.CATASTROPHIC))
SURE = 1.0  # what an unsafe guard verdict makes of the categories it names


@dataclass(frozen=True, slots=True)
class GuardedDecision:
    decision: Decision
    held: tuple[str, ...]  # categories still held for the answer (input only)
    scores: dict[str, float]  # the built-in scores with the guards' raised ones
    failed_closed: bool = False  # blocked because a guard failed, not because of a verdict
    # the scores that may be sure (`rule_on`'s ``sure_scores``), the guards' raised ones among
    # them; None: every score may be
    sure: dict[str, float] | None = None


def catastrophic_top(scores: Mapping[str, float]) -> float:
    return max((s for c, s in scores.items() if c in CATASTROPHIC), default=0.0)


def wanted(rule: GuardRule, scores: Mapping[str, float], *, held: bool, answer: bool) -> bool:
    """Whether this rule asks its guard about this input (or complete answer)."""
    if answer:
        return rule.when is GuardWhen.ANSWERS
    if rule.when is GuardWhen.ALWAYS:
        return True
    if rule.when is GuardWhen.HOLD:
        return held
    if rule.when is GuardWhen.CATASTROPHIC_ABOVE:
        return catastrophic_top(scores) >= rule.above
    return False


def closed_on_failure(rule: GuardRule, scores: Mapping[str, float]) -> bool:
    if rule.on_failure is OnFailure.PER_TIER:
        return catastrophic_top(scores) >= rule.above
    return rule.on_failure is OnFailure.CLOSED


def _strictest(a: Action, b: Action) -> Action:
    return a if STRENGTH[a] >= STRENGTH[b] else b


def merge(
    asked: Iterable[tuple[GuardRule, GuardVerdict]],
    *,
    decision: Decision,
    held: tuple[str, ...],
    scores: Mapping[str, float],
    tenant: TenantPolicy,
    model: str,
    pii_types: Iterable[str] = (),
    sure_at: float | None = None,
    hold: bool = True,
    sure_scores: Mapping[str, float] | None = None,
) -> GuardedDecision:
    """The decision once the guards' verdicts are in (module doc, rules 2-4); `sure_at`,
    `hold` and `sure_scores` as the decision was made (`rule_on`: an answer is never held)."""
    merged = dict(scores)
    sure = None if sure_scores is None else dict(sure_scores)
    notes: list[str] = []
    raised = closed = False
    flag = clear = False
    for rule, verdict in asked:
        said = f"{rule.guard}: {verdict.describe()}"
        if not verdict.ok:
            if closed_on_failure(rule, scores):
                closed = True
                notes.append(f"{said}; on_failure={rule.on_failure.value}: closed")
            else:
                flag = True
                notes.append(f"{said}; on_failure={rule.on_failure.value}: open")
            continue
        notes.append(said)
        if verdict.harmful:
            named = guard_scores(verdict, scores)
            if not named:
                flag = True
                notes.append(f"{rule.guard}: unsafe with no taxonomy category: flagged")
            for cid in named:
                merged[cid] = max(merged.get(cid, 0.0), SURE)
                if sure is not None:
                    sure[cid] = merged[cid]
                raised = True
        elif rule.clears_hold and held and not CATASTROPHIC.intersection(held):
            clear = True
    pii = tuple(pii_types)
    if closed:
        categories = decision.categories or ("guard.unavailable",)
        blocked = Decision(Action.BLOCK, categories, (*decision.reasons, *notes))
        return GuardedDecision(blocked, (), merged, failed_closed=True, sure=sure)
    if raised:
        ruling = rule_on(
            merged,
            tenant,
            model=model,
            pii_types=pii,
            sure_at=sure_at,
            hold=hold,
            sure_scores=sure,
        )
        decision, held = ruling.decision, ruling.held
    elif clear:
        notes.append("hold released by a safe guard verdict (clears_hold)")
        decision, held = Decision(Action.ALLOW, (), decision.reasons), ()
    action = _strictest(decision.action, Action.FLAG) if flag else decision.action
    return GuardedDecision(
        Decision(action, decision.categories, (*decision.reasons, *notes)), held, merged, sure=sure
    )
