"""Named result types shared across layers (never bare tuples or sentinels)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Lang = Literal["en", "ja"]


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a classifier says about one text.

    `categories` maps taxonomy ids (and signals such as `attack.jailbreak`) to scores in [0, 1];
    `score` is the overall harm score and `harmful` is `score` against the classifier's threshold.
    """

    harmful: bool
    score: float
    categories: Mapping[str, float] = field(default_factory=dict)
    top: str | None = None
    lang: str = "en"
    source: str = ""
    # Hazard evidence per category (`classify.operating.evidence`) when the verdict joins several
    # scored pieces of one text (its whole and segments): the largest of each piece's own. None:
    # the evidence follows from `categories` and `score`. A category's share of the heads' mass
    # only means something within one piece: taken over per-category maxima from different
    # pieces, the padding's diffuse scores swelled the mass and shrank every share.
    evidence: Mapping[str, float] | None = None
    # The verdict of the scored pieces whose scores may be sure (the whole text, its decoded
    # payloads, its pieces that read as requests) when others were scored too; None: all may.
    # A score that only a passage's sentence out of its frame reaches is unsure
    # (`policy.rule_on`'s ``sure_scores``): it holds the request for the answer, never blocks.
    certain: Verdict | None = None


@dataclass(frozen=True, slots=True)
class JudgeRuling:
    """What an LLM judge ruled about one prompt the classifier was unsure of."""

    harmful: bool
    category: str | None = None  # a taxonomy id when the judge named one it knows
    raw: str = ""  # the judge's answer, shortened, for audits and debugging


class RefusalLabel(StrEnum):
    REFUSAL = "refusal"
    COMPLIANCE = "compliance"
    PARTIAL = "partial"


@dataclass(frozen=True, slots=True)
class AnswerVerdict:
    """What the answer judges say about a model's answer to a prompt."""

    harmful: bool
    score: float
    categories: Mapping[str, float]
    refusal: RefusalLabel
    refusal_score: float


# Where a block stopped an exchange: at the prompt (input screening) or the answer (output).
BlockedAt = Literal["input", "output"]


def as_blocked_at(value: object) -> BlockedAt | None:
    """`value` if it names a stage ("input" or "output"), else None (unknown or not said)."""
    if value == "input":
        return "input"
    if value == "output":
        return "output"
    return None


class Action(StrEnum):
    """What is done with a request or an answer. Ordered two ways, for two questions (below)."""

    ALLOW = "allow"
    FLAG = "flag"
    REDACT = "redact"
    BLOCK = "block"


# How much an action changes what passes: a policy takes the strongest action its rules ask for
# (redacting alters the request, flagging only marks it).
STRENGTH: dict[Action, int] = {Action.ALLOW: 0, Action.FLAG: 1, Action.REDACT: 2, Action.BLOCK: 3}
# How much a person must see it: the gateway merges a request's prompt and answer decisions by
# this, so an answer flagged after a redacted prompt is reported, and durably audited, as flagged.
AUDIT_WEIGHT: dict[Action, int] = {
    Action.ALLOW: 0,
    Action.REDACT: 1,
    Action.FLAG: 2,
    Action.BLOCK: 3,
}


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy decided, with the reasons a person can read."""

    action: Action
    categories: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    # The classifier's category scores it was taken on, for the audit: (category, score) pairs.
    scores: tuple[tuple[str, float], ...] = ()


class WatchAction(StrEnum):
    """What the gateway does about a watch alert on a key (the policy chooses, per detector)."""

    ALERT = "alert"  # recorded (and sent to the webhook), nothing else
    THROTTLE = "throttle"  # a lower rate limit for the key, for a while
    SUSPEND = "suspend"  # the key is refused (403), for a while
    HOLD = "hold_for_review"  # the key's answers are held until screened whole, and flagged
