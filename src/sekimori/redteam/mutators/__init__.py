"""Jailbreak mutators: one file each, all registered in `MUTATORS`.

A mutator turns a suite item into a probe, or returns None when it does not apply to that item
(language switching needs a parallel rendering). Every probe keeps its provenance: the
mutator's name, its parameters and the original item id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any, Protocol

from sekimori.redteam.items import Probe, SuiteItem, Turn
from sekimori.registry import Registry


class Mutator(Protocol):
    def __call__(self, item: SuiteItem) -> Probe | None: ...


MUTATORS: Registry[Mutator] = Registry("mutator")


def single_turn(item: SuiteItem, mutator: str, text: str, **params: Any) -> Probe:
    """A probe that sends one user message."""
    return Probe(
        id=f"{item.id}~{mutator}",
        item=item,
        mutator=mutator,
        params=params,
        turns=(Turn("user", text),),
    )


def pick(options: Sequence[str], item: SuiteItem, salt: str) -> int:
    """A stable per-item choice among options, so reruns and resumed runs send the same probe."""
    digest = hashlib.sha256(f"{salt}:{item.id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % len(options)


def by_lang(item: SuiteItem, texts: Mapping[str, str]) -> str:
    return texts["ja"] if item.lang == "ja" else texts["en"]


BUILTIN = (
    "direct",
    "base64",
    "rot13",
    "leetspeak",
    "fullwidth",
    "spaced",
    "persona_garak",
    "persona_wild",
    "prefix_injection",
    "refusal_suppression",
    "payload_split",
    "language_switch",
    "few_shot",
    "many_shot",
    "crescendo",
)
for _module in BUILTIN:
    import_module(f"sekimori.redteam.mutators.{_module}")
