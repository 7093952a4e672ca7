"""Obfuscation attack: ASCII rewritten as full-width forms (what NFKC normalisation undoes)."""

from __future__ import annotations

import unicodedata

from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS, single_turn

_ENCODE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})


def encode(text: str) -> str:
    return text.translate(_ENCODE)


def decode(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@MUTATORS.register("fullwidth")
def fullwidth(item: SuiteItem) -> Probe | None:
    payload = encode(item.text)
    if payload == item.text:
        return None  # Japanese text is full-width already
    return single_turn(item, "fullwidth", payload)
