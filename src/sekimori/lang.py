"""Language detection (English / Japanese) and bilingual text for user-facing messages."""

from __future__ import annotations

import os
import re
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


# The ranges as a pattern, and what else to drop when counting letters: `detect_lang` counts with
# them instead of a Python step a character (the same counts, about 10x faster).
_JA_CHAR = re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _JA_RANGES) + "]")
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")
_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


def locale_lang() -> Lang:
    """The language of the user's locale (`LANG`), for command-line messages."""
    return "ja" if os.environ.get("LANG", "").startswith("ja") else "en"


def detect_lang(text: str) -> Lang:
    """'ja' when Japanese characters make up a real share of the letters, else 'en'.

    A few kanji in an English sentence (a name, a quoted term) do not make it Japanese;
    a Japanese sentence with English technical terms still is.
    """
    if text.isascii():  # ASCII holds no Japanese
        return "en"
    # Japanese characters count as letters, whatever their class; of the rest, the letters
    # (`str.isalpha`): the ASCII ones counted as bytes, the others one by one (few in Japanese)
    rest = _JA_CHAR.sub("", text)
    ja = len(text) - len(rest)
    ascii_letters = len(rest.encode("ascii", "ignore").translate(None, _ASCII_NON_LETTERS))
    letters = ja + ascii_letters + sum(ch.isalpha() for ch in _ASCII_RUN.sub("", rest))
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
