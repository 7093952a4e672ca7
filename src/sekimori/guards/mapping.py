"""From a guard's labels to taxonomy categories.

A guard's label often covers several of our categories (Llama Guard's S9 is chemical,
biological, radiological, nuclear and explosive weapons at once). Each label lists the ids it may
mean, its core meaning first. Which one it is here is read from the built-in classifier's scores
for the same text: the candidate it scores highest, when it gives any of them at least
`HINT_MIN`; otherwise the core meaning. The tables are in docs/guards.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from sekimori.guards.base import GuardLabel, GuardVerdict
from sekimori.taxonomy import CATEGORIES, CATEGORY_IDS

# Below this, the built-in classifier's score is noise and does not pick a candidate.
HINT_MIN = 0.1


def mlcommons(code: str, core: str) -> tuple[str, ...]:
    """The taxonomy ids with MLCommons code `code` (taxonomy.py), `core` first."""
    ids = [c.id for c in CATEGORIES if code in c.mlcommons and c.id != core]
    return (core, *ids)


def resolve(label: GuardLabel, builtin: Mapping[str, float]) -> str | None:
    """The one taxonomy id this label means for this text (None: it has no counterpart)."""
    if not label.categories:
        return None
    hinted = [(builtin.get(c, 0.0), c) for c in label.categories if builtin.get(c, 0.0) >= HINT_MIN]
    if hinted:
        return max(hinted)[1]
    return label.categories[0]


def guard_scores(verdict: GuardVerdict, builtin: Mapping[str, float]) -> dict[str, float]:
    """Taxonomy id -> the guard's score for it (empty when the guard found nothing harmful).

    A harmful verdict whose labels name no category (or none that maps) is given the built-in
    classifier's top hazard when it has one; otherwise it has no category and the caller decides
    (routing flags it: `sekimori.policy.guarding`).
    """
    if not verdict.ok or not verdict.harmful or verdict.score is None:
        return {}
    out: dict[str, float] = {}
    for label in verdict.labels:
        cid = resolve(label, builtin)
        if cid is not None:
            out[cid] = max(out.get(cid, 0.0), label.score)
    if not out:
        hazards = {c: s for c, s in builtin.items() if c in CATEGORY_IDS and s >= HINT_MIN}
        if hazards:
            out[max(hazards, key=hazards.__getitem__)] = verdict.score
    return out
