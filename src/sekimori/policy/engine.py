"""The policy engine: verdicts + one tenant's policy -> a Decision with readable reasons.

A pure function: no I/O, no clock unless `today` is left out (exceptions can expire).
Order of precedence, strictest first:

1. access rules: a model denied to the tenant's jurisdiction/organisation blocks outright;
   a denied category blocks when its score reaches the threshold;
2. catastrophic categories block unless an explicit, unexpired exception says otherwise
   (the exception is named in the reasons, so it is audited with the decision);
3. a benign intent (allow-list by example) clears the categories it `covers` (the moderate
   tier when it lists none), never a catastrophic one;
4. every other category above its threshold takes the tenant's action (its `when_sure` action
   once the score reaches `sure_at`, or on the input the category's own `input_sure_at`, which
   also decides there whether a block is sure); custom categories (`custom.<name>`) likewise;
   detected PII types take the tenant's PII action;
5. a jailbreak wrapper (attack.jailbreak at or above its threshold, and at or above `sure_at`
   when there is one) together with any hazard category at or above its threshold takes the
   tenant's `wrapped_hazard` action (block); with a sure level, the block is sure only when one
   of those hazards is sure too, else it is held like the hazard alone would be.

The strictest resulting action wins (allow < flag < redact < block).

Holding (`rule_on` with `sure_at`, the input screen): a hazard category that blocks with a score
below `sure_at` is *unsure*; so is one that reaches `sure_at` only where a score may not be sure
(``sure_scores``: a passage's sentence scored out of its frame, `Verdict.certain`), and a
moderate one there is held instead of taking its `when_sure` block. When every block is unsure
and the tenant defers (`uncertain_input: defer`) the request is held: FLAG, with the held
categories in `Ruling.held`; the screen releases nothing of the answer before judging it
whole. A sure score, a wrapper with a sure hazard, an access rule or PII that blocks is never
held.
Without
`sure_at` (callers that know no certainty) every score is sure for blocking and `when_sure`
never applies. An answer is ruled on with the answer judge's own `sure_at` and `hold=False`:
nothing is left to hold for, so a sure score takes its `when_sure` action (a moderate harmful
answer the judge is sure of is withheld) and an unsure block still blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sekimori.policy.model import (
    ALLOW_PREFIX,
    CUSTOM_PREFIX,
    SEVERITY,
    CategoryRule,
    ExampleSet,
    TenantPolicy,
)
from sekimori.taxonomy import (
    BY_ID,
    MARK_REVIEWED,
    MARK_SHORT_TURN,
    SIGNAL_JAILBREAK,
    SIGNAL_PII,
    Tier,
    in_tier,
)
from sekimori.types import Action, Decision, Verdict


@dataclass(frozen=True, slots=True)
class _Hit:
    category: str
    action: Action
    score: float
    unsure: bool = False  # a hazard block below the sure level (may be held)
    sure_at: float | None = None  # the category's own input sure point (None: the scorer's)


@dataclass(frozen=True, slots=True)
class Ruling:
    """The decision, and the categories held for the answer (empty: nothing held)."""

    decision: Decision
    held: tuple[str, ...] = ()


def merge_scores(verdicts: Iterable[Verdict] | Mapping[str, float]) -> dict[str, float]:
    """One score per category: the highest any verdict gave it."""
    if isinstance(verdicts, Mapping):
        return {k: float(v) for k, v in verdicts.items()}
    scores: dict[str, float] = {}
    for verdict in verdicts:
        for cat, score in verdict.categories.items():
            if score > scores.get(cat, -1.0):
                scores[cat] = float(score)
    return scores


def _name(category: str) -> str:
    c = BY_ID.get(category)
    return f"{category} ({c.name_en})" if c else category


def decide(
    verdicts: Iterable[Verdict] | Mapping[str, float],
    policy: TenantPolicy,
    *,
    model: str,
    pii_types: Iterable[str] = (),
    today: date | None = None,
) -> Decision:
    """What to do with a request or answer, and why, for one tenant (no holding)."""
    return rule_on(verdicts, policy, model=model, pii_types=pii_types, today=today).decision


def rule_on(
    verdicts: Iterable[Verdict] | Mapping[str, float],
    policy: TenantPolicy,
    *,
    model: str,
    pii_types: Iterable[str] = (),
    today: date | None = None,
    sure_at: float | None = None,
    hold: bool = True,
    sure_scores: Mapping[str, float] | None = None,
) -> Ruling:
    """`decide`, with the classifier's sure level: unsure blocks may be held when ``hold``
    (module doc). ``sure_scores``: the scores that may be sure (`Verdict.certain`); a category
    whose score reaches ``sure_at`` only where it may not is unsure. None: every score may be."""
    scores = merge_scores(verdicts)
    today = today or date.today()
    hits: list[_Hit] = []
    reasons: list[str] = []

    denied: dict[str, str] = {}  # category -> why
    for access in policy.access_rules:
        why = access.matches(policy.attributes)
        if why is None:
            continue
        if model in access.deny_models:
            reasons.append(
                f"model {model!r} is not available to {why} (access rule {access.name!r})"
            )
            hits.append(_Hit(f"access.{access.name}", Action.BLOCK, 1.0))
        for cat in access.deny_categories:
            denied.setdefault(cat, f"denied to {why} by access rule {access.name!r}")

    cleared = _cleared_by_intents(scores, policy.allow_intents, reasons)
    wrapped, wrapped_sure = _wrapped(scores, policy, reasons, sure_at, sure_scores, hold)

    for cat, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        rule = _rule_for(cat, policy)
        if rule is None or score < rule.threshold:
            continue
        info = BY_ID.get(cat)
        certain = score if sure_scores is None else sure_scores.get(cat, 0.0)
        # A catastrophic category is sure at the screen's level, whatever its rule says.
        catastrophic = info is not None and info.tier is Tier.CATASTROPHIC
        level = sure_at if catastrophic else _sure_level(rule, sure_at, hold)
        own = level if level != sure_at else None
        # A wrapper that blocks with a sure hazard makes every hazard with it sure.
        sure = (
            level is None
            or certain >= level
            or (wrapped is Action.BLOCK and wrapped_sure and info is not None)
        )
        shown = f"{_name(cat)} score {score:.2f} >= {rule.threshold:.2f}"
        exception = policy.exceptions.get(cat)
        if catastrophic:
            action = _catastrophic(cat, rule, policy, today, shown, reasons)
            excepted = exception is not None and exception.active(today)
            hits.append(_Hit(cat, action, score, unsure=not sure and not excepted))
            continue
        if cat in denied:
            hits.append(_Hit(cat, Action.BLOCK, score))
            reasons.append(f"{shown}: {denied[cat]}")
            continue
        if cat in cleared:
            action = Action.ALLOW
            reasons.append(f"{shown}: cleared by benign intent {cleared[cat]!r}")
        else:
            action = rule.action
            if level is not None and score >= level and rule.when_sure is not None:
                action = _strictest(action, rule.when_sure)
                shown += f" (sure: >= {level:.2f})" if sure else " (sure in a part only)"
            elif own is not None and info is not None and not sure:
                shown += f" (its sure point {own:.2f})"
            if wrapped is not None and info is not None:
                action = _strictest(action, wrapped)
            reasons.append(f"{shown}: {action.value}")
        hits.append(_Hit(cat, action, score, unsure=info is not None and not sure, sure_at=own))

    _pii(pii_types, policy, hits, reasons)
    if scores.get(MARK_SHORT_TURN, 0.0) > 0.0:
        reasons.append(
            "a short turn read again: no harmful intent found, its hazard scores kept under the "
            "hold point / 短いターンを再確認: 有害な意図が見つからないため保留しません"
        )
    reviewed = scores.get(MARK_REVIEWED, 0.0) > 0.0
    return _ruling(hits, reasons, policy, sure_at if hold else None, reviewed=reviewed)


def _sure_level(rule: CategoryRule, sure_at: float | None, hold: bool) -> float | None:
    """The score from which ``rule``'s category is sure: its own input sure point on the input
    (``hold``; `CategoryRule.input_sure_at`), else ``sure_at``; None: every score is sure."""
    if sure_at is None or not hold or rule.input_sure_at is None:
        return sure_at
    return rule.input_sure_at


def _strictest(a: Action, b: Action) -> Action:
    return a if SEVERITY[a] >= SEVERITY[b] else b


def _wrapped(
    scores: Mapping[str, float],
    policy: TenantPolicy,
    reasons: list[str],
    sure_at: float | None,
    sure_scores: Mapping[str, float] | None,
    hold: bool = True,
) -> tuple[Action | None, bool]:
    """The tenant's `wrapped_hazard` action when a jailbreak wrapper carries a hazard signal,
    and whether one of its hazards is sure (None and False: no wrapped hazard).

    With a sure level the wrapper must be sure too, where a score may be (``sure_scores``): a
    system prompt or a role-play set-up that merely looks like one, or a passage's sentence read
    out of its frame, leaves its hazard to the usual hold (`sekimori.classify.operating`). And
    the hazard must be sure for the block to be: a sure wrapper is common in ordinary traffic
    (a system prompt that sets a role, a game master's rules), where an unsure hazard signal at
    the recall-first hold point is too; such a request is held for the answer like the hazard
    alone, so the wrapper stops it without refusing it.
    """
    rule = policy.categories.get(SIGNAL_JAILBREAK)
    if rule is None or policy.wrapped_hazard is Action.ALLOW:
        return None, False
    level = rule.threshold if sure_at is None else max(rule.threshold, sure_at)
    jailbreak = scores.get(SIGNAL_JAILBREAK, 0.0)
    if sure_at is not None and sure_scores is not None:
        jailbreak = min(jailbreak, sure_scores.get(SIGNAL_JAILBREAK, 0.0))
    if jailbreak < level:
        return None, False
    signals = [
        c
        for c, s in scores.items()
        if c in BY_ID and (r := policy.categories.get(c)) is not None and s >= r.threshold
    ]
    if not signals:
        return None, False
    certain = scores if sure_scores is None else sure_scores

    def sure_one(c: str) -> bool:
        level = _sure_level(policy.categories[c], sure_at, hold)
        if BY_ID[c].tier is Tier.CATASTROPHIC:
            level = sure_at
        return level is None or certain.get(c, 0.0) >= level

    sure = sure_at is None or any(sure_one(c) for c in signals)
    unsure = "" if sure else "; every hazard unsure"
    reasons.append(
        f"{_name(SIGNAL_JAILBREAK)} score {jailbreak:.2f} >= {level:.2f} with a hazard "
        f"signal ({', '.join(sorted(signals))}{unsure}): {policy.wrapped_hazard.value} "
        "(wrapped_hazard)"
    )
    return policy.wrapped_hazard, sure


def _ruling(
    hits: list[_Hit],
    reasons: list[str],
    policy: TenantPolicy,
    sure_at: float | None,
    *,
    reviewed: bool = False,
) -> Ruling:
    """``reviewed``: the second opinion capped sure scores of a text (`MARK_REVIEWED`)."""
    acting = [h for h in hits if h.action is not Action.ALLOW]
    if not acting:
        if not reasons:
            reasons.append("no category reached its threshold")
        return Ruling(Decision(Action.ALLOW, (), tuple(reasons)))
    final = max((h.action for h in acting), key=SEVERITY.__getitem__)
    ordered = sorted(acting, key=lambda h: (-SEVERITY[h.action], -h.score))
    categories = tuple(dict.fromkeys(h.category for h in ordered))
    blocks = [h for h in acting if h.action is Action.BLOCK]
    held: tuple[str, ...] = ()
    if blocks and all(h.unsure for h in blocks) and sure_at is not None:
        held = tuple(dict.fromkeys(h.category for h in blocks))
        below = _below(blocks, sure_at)
        if policy.defer_uncertain:
            reasons.append(
                f"held: a second reading found no harmful intent ({', '.join(held)}); deferred "
                "to the answer, uncertain_input=defer / 再確認で有害な意図が見つからないため保留"
                "（回答を審査してから返します）"
                if reviewed
                else f"held: deferred to the answer, the prompt classifier is unsure "
                f"({below}); uncertain_input=defer"
            )
            # FLAG, never less: a held request is audited durably (redaction still applies).
            rest = [h.action for h in acting if h.action is not Action.BLOCK]
            final = max([Action.FLAG, *rest], key=SEVERITY.__getitem__)
        else:
            reasons.append(f"unsure ({below}) but uncertain_input=block: block")
            held = ()
    return Ruling(Decision(final, categories, tuple(reasons)), held)


def _below(blocks: list[_Hit], sure_at: float) -> str:
    """`a, b below 0.75`; a category with its own sure point is named with it."""
    held = dict.fromkeys(h.category for h in blocks)
    own = {h.category: h.sure_at for h in blocks if h.sure_at is not None}
    if not own:
        return f"{', '.join(held)} below {sure_at:.2f}"
    return ", ".join(f"{c} below {own.get(c, sure_at):.2f}" for c in held)


def _rule_for(category: str, policy: TenantPolicy) -> CategoryRule | None:
    if category.startswith(CUSTOM_PREFIX):
        custom = policy.custom.get(category[len(CUSTOM_PREFIX) :])
        return CategoryRule(custom.action, custom.threshold) if custom else None
    return policy.categories.get(category)


def _catastrophic(
    category: str,
    rule: CategoryRule,
    policy: TenantPolicy,
    today: date,
    shown: str,
    reasons: list[str],
) -> Action:
    exception = policy.exceptions.get(category)
    if exception is not None and exception.active(today):
        reasons.append(
            f"{shown}: catastrophic category under an audited exception "
            f"({exception.describe()}): {exception.action.value}"
        )
        return exception.action
    if exception is not None:
        reasons.append(
            f"{shown}: block (the exception approved by {exception.approved_by} expired on "
            f"{exception.expires})"
        )
    elif rule.action is not Action.BLOCK:
        reasons.append(
            f"{shown}: block (catastrophic categories block for every tenant; the policy's "
            f"{rule.action.value!r} needs an explicit exception)"
        )
    else:
        reasons.append(f"{shown}: block (catastrophic)")
    return Action.BLOCK


def _cleared_by_intents(
    scores: Mapping[str, float], intents: Mapping[str, ExampleSet], reasons: list[str]
) -> dict[str, str]:
    """Category -> the benign intent that clears it (never a catastrophic category)."""
    cleared: dict[str, str] = {}
    for name, intent in intents.items():
        score = scores.get(ALLOW_PREFIX + name, 0.0)
        if score < intent.threshold:
            continue
        reasons.append(
            f"benign intent {name!r} matched (score {score:.2f} >= {intent.threshold:.2f})"
        )
        # Without an explicit list only the moderate tier: clearing severe categories
        # (cyber.offense, crime.violent ...) must be the operator's stated choice.
        covered = intent.covers or in_tier(Tier.MODERATE)
        for cat in covered:
            info = BY_ID.get(cat)
            if info is None or info.tier is not Tier.CATASTROPHIC:
                cleared.setdefault(cat, name)
    return cleared


def _pii(
    pii_types: Iterable[str], policy: TenantPolicy, hits: list[_Hit], reasons: list[str]
) -> None:
    by_action: dict[Action, list[str]] = {}
    for kind in dict.fromkeys(pii_types):
        action = policy.pii.get(kind)
        if action is None or action is Action.ALLOW:
            continue
        by_action.setdefault(action, []).append(kind)
    for action, kinds in by_action.items():
        reasons.append(f"personal data or secrets found ({', '.join(kinds)}): {action.value}")
        hits.append(_Hit(SIGNAL_PII, action, 1.0))
