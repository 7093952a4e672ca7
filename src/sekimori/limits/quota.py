"""What a scope (a tenant, one API key) may use: requests and tokens per minute, concurrent
requests, and token quotas per UTC day and month. None: no limit on that measure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quota:
    rpm: int | None = None
    tpm: int | None = None
    concurrent: int | None = None
    tokens_per_day: int | None = None
    tokens_per_month: int | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in dataclasses.fields(self))

    @property
    def counts_tokens(self) -> bool:
        return (self.tpm, self.tokens_per_day, self.tokens_per_month) != (None, None, None)

    def over(self, base: Quota) -> Quota:
        """This quota's figures, and `base`'s where this one sets none (a tenant over its tier)."""
        figures = []
        for f in dataclasses.fields(self):
            mine = getattr(self, f.name)
            figures.append(getattr(base, f.name) if mine is None else mine)
        return Quota(*figures)


@dataclass(frozen=True, slots=True)
class Scope:
    """One set of counters: `key` names it in the store (e.g. `tenant:acme`, `key:3f2a9c0d1e4b`)."""

    key: str
    quota: Quota
