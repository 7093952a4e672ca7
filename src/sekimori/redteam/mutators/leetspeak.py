"""Obfuscation attack: leetspeak letter-for-digit substitutions."""

from __future__ import annotations

from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS, single_turn

_TABLE = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_ENCODE = str.maketrans(_TABLE | {k.upper(): v for k, v in _TABLE.items()})
_DECODE = str.maketrans({v: k for k, v in _TABLE.items()})


def encode(text: str) -> str:
    return text.translate(_ENCODE)


def decode(text: str) -> str:
    """Lower-case reading of leetspeak (exact for texts that had no digits of their own)."""
    return text.translate(_DECODE).lower()


@MUTATORS.register("leetspeak")
def leetspeak(item: SuiteItem) -> Probe | None:
    payload = encode(item.text)
    if payload == item.text:
        return None
    return single_turn(item, "leetspeak", payload)
