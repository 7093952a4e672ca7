"""Language detection (English / Japanese) and bilingual text for user-facing messages."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from sekimori.types import Lang

# Hiragana, katakana, CJK ideographs, half-width katakana and Japanese punctuation.
_JA_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xFF66, 0xFF9F),
    (0x3000, 0x303F),
)


def _is_japanese(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _JA_RANGES)


def locale_lang() -> Lang:
    """The language of the user's locale (`LANG`), for command-line messages."""
    return "ja" if os.environ.get("LANG", "").startswith("ja") else "en"


def detect_lang(text: str) -> Lang:
    """'ja' when Japanese characters make up a real share of the letters, else 'en'.

    A few kanji in an English sentence (a name, a quoted term) do not make it Japanese;
    a Japanese sentence with English technical terms still is.
    """
    if text.isascii():  # ASCII holds no Japanese: skip the per-character loop (~0.5 µs a char)
        return "en"
    ja = letters = 0
    for ch in text:
        if _is_japanese(ch):
            ja += 1
            letters += 1
        elif ch.isalpha():
            letters += 1
    if letters == 0:
        return "en"
    # Japanese packs a word into one or two characters, English into about five.
    return "ja" if ja * 4 >= letters - ja or ja >= 20 else "en"


@dataclass(frozen=True, slots=True)
class Text:
    """A user-facing message in both languages."""

    en: str
    ja: str

    def __call__(self, lang: str, **values: object) -> str:
        template = self.ja if lang == "ja" else self.en
        return template.format(**values) if values else template

    def both(self, **values: object) -> str:
        """English, then Japanese: for help texts shown before a language is known."""
        return f"{self('en', **values)} / {self('ja', **values)}"


def ljust(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns; Japanese (wide) characters take two."""
    return text + " " * max(0, width - columns(text))


def columns(text: str) -> int:
    """The terminal columns `text` takes (wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# The font stack of every HTML report (red-team, comparison, watch): the system font first, then
# the Japanese fonts macOS, Windows and Linux ship or install (Linux has none by default: `apt
# install fonts-noto-cjk`, docs/redteam.md), before the generic family that may lack Japanese.
FONT_FAMILY = (
    "system-ui,-apple-system,'Segoe UI','Hiragino Kaku Gothic ProN','Hiragino Sans',"
    "'Yu Gothic UI','Yu Gothic',Meiryo,'Noto Sans CJK JP','Noto Sans JP','Source Han Sans JP',"
    "'IPAexGothic','IPAPGothic','TakaoPGothic','VL PGothic','Droid Sans Fallback',sans-serif"
)
