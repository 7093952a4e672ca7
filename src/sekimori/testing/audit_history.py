"""A synthetic audit history for the console's benchmark and screenshots: records in time
order over the last days, with the mix of decisions and categories a busy gateway writes. Not
traffic anybody sent: every record says so in its model name (`synthetic`)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from sekimori.audit.record import AUDIT_VERSION, AuditRecord, encode_scores

DAY = 86_400.0
# (decision, share, categories it comes with)
MIX = (
    ("allow", 0.90, ("",)),
    ("flag", 0.04, ("crime.nonviolent", "hate", "deception", "privacy")),
    ("redact", 0.03, ("data.pii",)),
    ("block", 0.025, ("cyber.offense", "weapons.conventional", "crime.violent")),
    ("block", 0.005, ("weapons.bio", "weapons.chem")),
)


def history(
    n: int, keys: Sequence[tuple[str, str]], now: float, days: float = 30.0
) -> Iterator[AuditRecord]:
    """`n` records over the `days` before `now`, each of one (tenant, key id) of `keys`."""
    rng = random.Random(7)
    weights = [m[1] for m in MIX]
    start = now - days * DAY
    for i in range(n):
        ts = start + days * DAY * i / n  # in time order, as a gateway appends
        decision, _, categories = rng.choices(MIX, weights)[0]
        category = rng.choice(categories)
        tenant, key_id = keys[rng.randrange(len(keys))]
        yield AuditRecord(
            ts=ts,
            request_id=f"{i:024x}",
            tenant=tenant,
            key_id=key_id,
            model="synthetic",
            upstream="vllm",
            status=502 if rng.random() < 0.002 else 200,
            decision=decision,
            categories=category,
            stream=rng.random() < 0.6,
            total_ms=rng.lognormvariate(6.0, 0.6),
            upstream_ms=rng.lognormvariate(5.9, 0.6),
            screen_ms=rng.lognormvariate(2.5, 0.5),
            prompt_tokens=rng.randrange(20, 2000),
            completion_tokens=rng.randrange(1, 800),
            reasons=f"{category} 0.91 >= 0.5: {decision}" if category else "",
            version=AUDIT_VERSION,
            scores=encode_scores({category: 0.91} if category else {}),
        )
